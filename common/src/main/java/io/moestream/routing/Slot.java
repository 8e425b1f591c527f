package io.moestream.routing;

/**
 * A kept (token, expert) pair as the combine step sees it. {@code multiplicity} is the number of
 * dropped slots an Intra-GPU Rectification slot stands for (1 for every other kind); the expert
 * computes the row once and {@code weight} already includes the multiplicity.
 */
public record Slot(int expert, SlotKind kind, double weight, int multiplicity) {
}
