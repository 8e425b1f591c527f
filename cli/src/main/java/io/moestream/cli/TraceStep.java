package io.moestream.cli;

/**
 * One step of a trace: the router logits {@code a[t][e]} of the tokens that sit on one source rank.
 *
 * @param location where the step came from ({@code trace.jsonl line 3}), for error messages
 */
record TraceStep(String location, int sourceRank, double[][] logits) {

    /** {@code E}, the length of the first row; the router checks that every row agrees. */
    int experts() {
        return logits[0].length;
    }
}
