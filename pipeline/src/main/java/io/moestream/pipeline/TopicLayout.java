package io.moestream.pipeline;

/**
 * What decides the number of topics and partitions of a deployment.
 *
 * @param sourceRanks ranks the gateway packs batches for; partitions of tokens, outputs and results
 * @param experts routed experts, one dispatch topic each
 * @param sharedExperts shared experts, one dispatch topic each
 * @param expertReplicas instances of each expert service sharing its topics
 */
public record TopicLayout(int sourceRanks, int experts, int sharedExperts, int expertReplicas) {

    public TopicLayout {
        if (sourceRanks < 1 || experts < 1 || sharedExperts < 0 || expertReplicas < 1) {
            throw new IllegalArgumentException("topic layout needs at least one rank, expert and replica: " + this);
        }
    }
}
