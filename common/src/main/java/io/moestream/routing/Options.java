package io.moestream.routing;

/** The enumerated options of ROUTING-SPEC; each constant's spec name is given by {@link SpecName}. */
public final class Options {

    private Options() {
    }

    /** How a score is made from a logit row (section 1). */
    public enum ScoreFunction { SOFTMAX, SIGMOID }

    /** How {@code gamma * T * k / E} becomes an integer capacity (section 1). */
    public enum Rounding { CEIL, FLOOR }

    /** Combine weights for every policy except the rectify family (section 1). */
    public enum Weights { RAW, TOPK, KEPT }

    /** Which slots an overflowing expert keeps under {@code vanilla} and the rectify base (2.2). */
    public enum DropOrder { POSITION, SCORE }

    /** Which slots an overflowing expert keeps under {@code token-drop} (2.3). */
    public enum Metric { SCORE, ORDER, REVERSE, RANDOM }

    /** How {@code token-reroute} moves overflow (2.4). */
    public enum RerouteMode { ROUNDS, GREEDY }

    /** Whether Intra-GPU Rectification may exceed the capacity (2.6). */
    public enum IrCapacity { UNBOUNDED, VACANCY }

    /** Whether capacity is a per-expert or a per-rank budget (2.7). */
    public enum CapacityScope { EXPERT, RANK }
}
