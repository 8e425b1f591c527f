package io.moestream.decoder;

/**
 * The log-likelihood of one sequence.
 *
 * @param tokens the sequence
 * @param logprobs {@code logprobs[i] = log P(tokens[i] | tokens[<i])}; {@code NaN} at 0, which nothing predicts
 * @param comparison against the reference routing, or {@code null} when none was asked for
 */
public record SequenceScore(int[] tokens, double[] logprobs, Comparison comparison) {

    /** Tokens that have a prediction: all but the first. */
    public int predicted() {
        return tokens.length - 1;
    }

    /** The mean negative log-likelihood over the predicted tokens; NaN for a one-token sequence. */
    public double nll() {
        return predicted() == 0 ? Double.NaN : -sumLogprob() / predicted();
    }

    public double perplexity() {
        return Math.exp(nll());
    }

    double sumLogprob() {
        double sum = 0;
        for (int i = 1; i < logprobs.length; i++) {
            sum += logprobs[i];
        }
        return sum;
    }

    /**
     * The same sequence under the reference routing (dropless), position by position over the
     * positions that predict a token.
     *
     * @param referenceLogprobs the reference's {@code logprobs}, as above
     * @param klSum sum over those positions of {@code KL(reference || policy)} of the next-token distributions
     * @param top1Agreements positions where both put the same token first
     */
    public record Comparison(double[] referenceLogprobs, double klSum, int top1Agreements) {
    }
}
