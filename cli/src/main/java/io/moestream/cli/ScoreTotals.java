package io.moestream.cli;

import io.moestream.decoder.SequenceScore;
import java.util.List;

/**
 * Scores of several sequences summed over every predicted token: what {@code moe score} prints and
 * each cell of {@code moe quality} holds.
 *
 * @param predicted tokens with a prediction (all but each sequence's first)
 * @param logprobSum the sum of their log-probabilities under the policy
 * @param referenceLogprobSum the same under dropless; 0 without a comparison
 * @param klSum the sum of {@code KL(dropless || policy)} over them; 0 without a comparison
 * @param top1Agreements positions where policy and dropless put the same token first; 0 without a comparison
 */
record ScoreTotals(long predicted, double logprobSum, double referenceLogprobSum, double klSum, long top1Agreements) {

    static ScoreTotals of(List<SequenceScore> scores) {
        long predicted = 0;
        double sum = 0;
        double refSum = 0;
        double kl = 0;
        long agree = 0;
        for (SequenceScore score : scores) {
            for (int i = 1; i < score.tokens().length; i++) {
                sum += score.logprobs()[i];
                if (score.comparison() != null) {
                    refSum += score.comparison().referenceLogprobs()[i];
                }
            }
            predicted += score.predicted();
            if (score.comparison() != null) {
                kl += score.comparison().klSum();
                agree += score.comparison().top1Agreements();
            }
        }
        return new ScoreTotals(predicted, sum, refSum, kl, agree);
    }

    /** The mean negative log-likelihood per predicted token. */
    double nll() {
        return -logprobSum / predicted;
    }

    double perplexity() {
        return Math.exp(nll());
    }

    double droplessPerplexity() {
        return Math.exp(-referenceLogprobSum / predicted);
    }

    /** {@code KL(dropless || policy)} in nats per predicted token. */
    double kl() {
        return klSum / predicted;
    }

    /** The share of predicted positions where policy and dropless agree on the most likely token. */
    double top1Agreement() {
        return (double) top1Agreements / predicted;
    }
}
