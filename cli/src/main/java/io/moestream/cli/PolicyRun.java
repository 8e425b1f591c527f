package io.moestream.cli;

/**
 * What the demo measured for one policy; the fields are also the policy's entry in report.json.
 *
 * @param demand per expert, top-k slots asked for over all prompts (the same under every policy)
 * @param load per expert, slots kept (computed) over all prompts
 * @param expertStraggler max / mean expert load, mean over steps (1 is balanced)
 * @param rankStraggler the same over ranks
 * @param relativeL2 mean over requests of ||y - y_dropless|| / ||y_dropless||; {@code worstRelativeL2} the largest
 * @param cosine mean over requests of the cosine similarity to dropless; {@code worstCosine} the smallest
 */
record PolicyRun(String policy, double capacityFactor, int prompts, long tokens, long steps, int degraded,
                 double[] demand, double[] load, double dropRate, double expertStraggler, double rankStraggler,
                 double tokensPerSecond, double p50Ms, double p99Ms, double relativeL2, double worstRelativeL2,
                 double cosine, double worstCosine) {
}
