package io.moestream.layer;

/**
 * The rows one routing step sends one expert: the token indices within the step, ascending.
 *
 * @param expert a routed expert's id, or shared expert {@code s} as {@code -1 - s} (the wire's numbering)
 */
public record ExpertCall(int expert, int[] tokens) {
}
