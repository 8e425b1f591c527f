package io.moestream.routing;

import io.moestream.routing.Options.CapacityScope;
import io.moestream.routing.Options.DropOrder;
import io.moestream.routing.Options.IrCapacity;
import io.moestream.routing.Options.Metric;
import io.moestream.routing.Options.RerouteMode;
import io.moestream.routing.Options.Rounding;
import io.moestream.routing.Options.ScoreFunction;
import io.moestream.routing.Options.Weights;
import java.util.Arrays;
import java.util.Collection;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import java.util.function.UnaryOperator;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * One randomly generated routing step: placement, source rank, logits and a configuration with
 * every option drawn at random except the policy, which each property chooses (the generated one
 * is {@code dropless}). A case is a pure function of its seed, so the seed in a failing test's
 * display name is all it takes to replay it: run with {@code -Drouting.seed=<seed>}. Case
 * {@code [n]} of a Surefire report, which shows invocation numbers instead, is seed {@code n}.
 */
final class RandomStep {

    private static final int CASES = Integer.getInteger("routing.cases", 300);
    private static final String REPLAY_SEED = System.getProperty("routing.seed");

    /** Few distinct values, so that exact ties between experts of one token are common. */
    private static final double[] TIE_PRONE_LOGITS = {-1.0, 0.0, 0.5, 1.0, 2.0};

    private final long seed;
    private final Placement placement;
    private final int sourceRank;
    private final double[][] logits;
    private final RoutingConfig config;

    private RandomStep(long seed, Placement placement, int sourceRank, double[][] logits, RoutingConfig config) {
        this.seed = seed;
        this.placement = placement;
        this.sourceRank = sourceRank;
        this.logits = logits;
        this.config = config;
    }

    /** The cases every property runs on, or only the replayed one when {@code routing.seed} is set. */
    static Stream<RandomStep> cases() {
        if (REPLAY_SEED != null) {
            return Stream.of(of(Long.parseLong(REPLAY_SEED)));
        }
        return LongStream.rangeClosed(1, CASES).mapToObj(RandomStep::of);
    }

    static RandomStep of(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int experts = 2 + random.nextInt(15);
        int topK = 1 + random.nextInt(Math.min(experts, 4));
        int tokens = 1 + random.nextInt(40);
        Placement placement = randomPlacement(random, experts);
        int sourceRank = random.nextInt(placement.ranks());
        double[][] logits = randomLogits(random, tokens, experts);
        return new RandomStep(seed, placement, sourceRank, logits, randomConfig(random, topK, experts));
    }

    private static Placement randomPlacement(SplittableRandom random, int experts) {
        int ranks = 1 + random.nextInt(experts);
        if (random.nextInt(4) > 0) {
            return Placement.contiguous(experts, ranks);
        }
        // An explicit map may leave ranks without experts and give ranks unequal shares.
        int[] rankOf = new int[experts];
        Arrays.setAll(rankOf, e -> random.nextInt(ranks));
        return Placement.of(rankOf);
    }

    private static double[][] randomLogits(SplittableRandom random, int tokens, int experts) {
        double[][] logits = new double[tokens][];
        switch (random.nextInt(3)) {
            case 0 -> Arrays.setAll(logits, t -> tieProneRow(random, experts));
            case 1 -> {
                // Copies of a few rows: exact score ties between tokens, which exercise the
                // "ties to the lower token index" rule.
                double[][] prototypes = new double[1 + random.nextInt(3)][];
                Arrays.setAll(prototypes, i -> tieProneRow(random, experts));
                Arrays.setAll(logits, t -> prototypes[random.nextInt(prototypes.length)].clone());
            }
            default -> {
                // Per-expert popularity, so that a few hot experts overflow and others sit idle.
                double[] bias = random.doubles(experts, -2, 2).toArray();
                Arrays.setAll(logits, t -> {
                    double[] row = new double[experts];
                    Arrays.setAll(row, e -> bias[e] + 2 * (random.nextDouble() - 0.5));
                    return row;
                });
            }
        }
        return logits;
    }

    private static double[] tieProneRow(SplittableRandom random, int experts) {
        double[] row = new double[experts];
        Arrays.setAll(row, e -> TIE_PRONE_LOGITS[random.nextInt(TIE_PRONE_LOGITS.length)]);
        return row;
    }

    private static RoutingConfig randomConfig(SplittableRandom random, int topK, int experts) {
        return RoutingConfig.builder(Policy.DROPLESS, topK)
                .capacityFactor(randomCapacityFactor(random))
                .rounding(pick(random, Rounding.values()))
                .scoreFunction(pick(random, ScoreFunction.values()))
                .weights(pick(random, Weights.values()))
                .dropOrder(pick(random, DropOrder.values()))
                .metric(pick(random, Metric.values()))
                .seed(random.nextLong())
                .mode(pick(random, RerouteMode.values()))
                .rounds(1 + random.nextInt(3))
                .maxExpertsPerToken(random.nextBoolean() ? null : 1 + random.nextInt(experts))
                .irCapacity(pick(random, IrCapacity.values()))
                .irExcludeDroppingExpert(random.nextBoolean())
                .capacityScope(pick(random, CapacityScope.values()))
                .build();
    }

    /**
     * Mostly multiples of 0.25 up to 3: exact in binary, so {@code gamma * T * k / E} lands on an
     * integer exactly when it should and the test's capacity cannot disagree with the router's by
     * a rounding error. Sometimes unset, zero or negative, which all mean no capacity.
     */
    private static Double randomCapacityFactor(SplittableRandom random) {
        int draw = random.nextInt(20);
        if (draw == 0) {
            return null;
        }
        if (draw == 1) {
            return 0.0;
        }
        if (draw == 2) {
            return -0.5;
        }
        return 0.25 * (1 + random.nextInt(12));
    }

    private static <T> T pick(SplittableRandom random, T[] values) {
        return values[random.nextInt(values.length)];
    }

    long seed() {
        return seed;
    }

    Placement placement() {
        return placement;
    }

    int sourceRank() {
        return sourceRank;
    }

    RoutingConfig config() {
        return config;
    }

    /** {@code a[t][e]}; the step's own array, which the router must not modify. */
    double[][] logits() {
        return logits;
    }

    int tokens() {
        return logits.length;
    }

    int experts() {
        return placement.experts();
    }

    int topK() {
        return config.topK();
    }

    RandomStep with(UnaryOperator<RoutingConfig.Builder> change) {
        return new RandomStep(seed, placement, sourceRank, logits, change.apply(config.toBuilder()).build());
    }

    RandomStep withPolicy(Policy policy) {
        return with(b -> b.policy(policy));
    }

    /** The same step on a placement shifted up one rank, sent from rank 0, which hosts no expert. */
    RandomStep fromRankWithoutExperts() {
        int[] rankOf = placement.toArray();
        Arrays.setAll(rankOf, e -> rankOf[e] + 1);
        return new RandomStep(seed, Placement.of(rankOf), 0, logits, config);
    }

    RoutingResult route() {
        return new Router(config, placement).route(logits, sourceRank);
    }

    /**
     * Routes the step under each policy and checks {@code property} on the result; a failure names
     * the policy and shows the routing.
     */
    void checkUnder(Collection<Policy> policies, BiConsumer<RandomStep, RoutingResult> property) {
        for (Policy policy : policies) {
            RandomStep variant = withPolicy(policy);
            RoutingResult result = variant.route();
            try {
                property.accept(variant, result);
            } catch (AssertionError failure) {
                throw new AssertionError(this + " under " + variant.config() + ":\n"
                        + failure.getMessage() + "\n" + result, failure);
            }
        }
    }

    @Override
    public String toString() {
        return "seed " + seed + " (E=" + experts() + " R=" + placement.ranks() + " T=" + tokens() + " k=" + topK()
                + ")";
    }
}
