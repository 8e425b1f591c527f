package io.moestream.gateway;

/**
 * A prompt the gateway took: its id, token ids and their embedding rows.
 *
 * @param states {@code [tokens.length][hidden]} row-major
 */
public record EncodedPrompt(String id, int[] tokens, float[] states, boolean returnOutputs, long acceptedAtMillis) {
}
