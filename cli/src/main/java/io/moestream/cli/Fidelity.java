package io.moestream.cli;

import io.moestream.layer.OutputDistance;
import java.io.PrintWriter;

/**
 * How far a policy's layer output is from dropless on the same input: relative L2 error, cosine
 * similarity, and the share of top-k gate mass the policy kept.
 */
record Fidelity(double relativeL2, double cosine, double gateMassKept) {

    static Fidelity of(float[] output, float[] dropless, double gateMassKept) {
        return new Fidelity(OutputDistance.relativeL2(output, dropless), OutputDistance.cosine(output, dropless),
                gateMassKept);
    }

    void print(PrintWriter out) {
        out.printf("%nfidelity against dropless%n");
        out.printf("  relative L2 error   %.4f   ||y - y_dropless|| / ||y_dropless||%n", relativeL2);
        out.printf("  cosine similarity   %.4f%n", cosine);
        out.printf("  gate mass kept      %.2f%%%n", 100 * gateMassKept);
    }
}
