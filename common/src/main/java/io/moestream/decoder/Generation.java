package io.moestream.decoder;

/**
 * What one prompt generated.
 *
 * @param tokens the generated ids, the stop token included when one ended it
 * @param logprobs each generated token's log-probability under the model (before temperature)
 */
public record Generation(int[] promptTokens, int[] tokens, double[] logprobs, FinishReason finishReason) {

    /** Why generation stopped, with the OpenAI API's names. */
    public enum FinishReason {
        /** A stop token (EOS). */
        STOP,
        /** The token budget, or the model's maximum positions. */
        LENGTH;

        public String apiName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** @throws IllegalArgumentException for a name that is not {@code stop} or {@code length} */
        public static FinishReason fromApiName(String name) {
            for (FinishReason reason : values()) {
                if (reason.apiName().equals(name)) {
                    return reason;
                }
            }
            throw new IllegalArgumentException("no finish reason is called " + name);
        }
    }
}
