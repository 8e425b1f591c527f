package io.moestream.decoder;

/** Next-token distributions from logits, in double so that log-probabilities of rare tokens keep their digits. */
public final class LogSoftmax {

    private LogSoftmax() {
    }

    /** {@code log softmax(row)} of the {@code vocab} logits starting at {@code from}. */
    public static double[] of(float[] logits, int from, int vocab) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[from + i]);
        }
        double sum = 0;
        for (int i = 0; i < vocab; i++) {
            sum += Math.exp(logits[from + i] - max);
        }
        double logZ = max + Math.log(sum);
        double[] out = new double[vocab];
        for (int i = 0; i < vocab; i++) {
            out[i] = logits[from + i] - logZ;
        }
        return out;
    }

    /** The most likely token; the lowest id among equals, so that greedy decoding is deterministic. */
    public static int argmax(float[] logits, int from, int vocab) {
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (logits[from + i] > logits[from + best]) {
                best = i;
            }
        }
        return best;
    }

    /** {@code KL(p || q) = sum p (log p - log q)} for two log-distributions. */
    public static double klDivergence(double[] logP, double[] logQ) {
        double kl = 0;
        for (int i = 0; i < logP.length; i++) {
            if (logP[i] > Double.NEGATIVE_INFINITY) {
                kl += Math.exp(logP[i]) * (logP[i] - logQ[i]);
            }
        }
        return kl;
    }
}
