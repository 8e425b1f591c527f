package io.moestream.cli;

import java.io.PrintWriter;

/**
 * How far a policy's layer output is from dropless on the same input: relative L2 error, cosine
 * similarity, and the share of top-k gate mass the policy kept.
 */
record Fidelity(double relativeL2, double cosine, double gateMassKept) {

    static Fidelity of(float[] output, float[] dropless, double gateMassKept) {
        double diff = 0;
        double norm = 0;
        double dot = 0;
        double outNorm = 0;
        for (int i = 0; i < output.length; i++) {
            double d = (double) output[i] - dropless[i];
            diff += d * d;
            norm += (double) dropless[i] * dropless[i];
            dot += (double) output[i] * dropless[i];
            outNorm += (double) output[i] * output[i];
        }
        double cosine = norm == 0 || outNorm == 0 ? (norm == outNorm ? 1 : 0) : dot / Math.sqrt(norm * outNorm);
        return new Fidelity(norm == 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm), cosine, gateMassKept);
    }

    void print(PrintWriter out) {
        out.printf("%nfidelity against dropless%n");
        out.printf("  relative L2 error   %.4f   ||y - y_dropless|| / ||y_dropless||%n", relativeL2);
        out.printf("  cosine similarity   %.4f%n", cosine);
        out.printf("  gate mass kept      %.2f%%%n", 100 * gateMassKept);
    }
}
