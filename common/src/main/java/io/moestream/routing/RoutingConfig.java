package io.moestream.routing;

import io.moestream.routing.Options.CapacityScope;
import io.moestream.routing.Options.DropOrder;
import io.moestream.routing.Options.IrCapacity;
import io.moestream.routing.Options.Metric;
import io.moestream.routing.Options.RerouteMode;
import io.moestream.routing.Options.Rounding;
import io.moestream.routing.Options.ScoreFunction;
import io.moestream.routing.Options.Weights;

/**
 * Everything that decides how one step is routed, with the defaults of ROUTING-SPEC. Options that
 * a policy does not use are carried but ignored, so one configuration can be replayed under every
 * policy.
 *
 * @param capacityFactor {@code gamma}; {@code null} or {@code <= 0} means no capacity (dropless)
 * @param maxExpertsPerToken {@code expanded-drop}'s cap on kept slots per token; {@code null} means none
 * @param seed the seed of {@code metric random}
 */
public record RoutingConfig(
        Policy policy,
        int topK,
        Double capacityFactor,
        Rounding rounding,
        ScoreFunction scoreFunction,
        Weights weights,
        DropOrder dropOrder,
        Metric metric,
        long seed,
        RerouteMode mode,
        int rounds,
        Integer maxExpertsPerToken,
        IrCapacity irCapacity,
        boolean irExcludeDroppingExpert,
        CapacityScope capacityScope) {

    public RoutingConfig {
        require(policy != null, "policy is required");
        require(topK >= 1, "top-k must be >= 1, got " + topK);
        require(capacityFactor == null || Double.isFinite(capacityFactor),
                "capacity-factor must be a finite number, got " + capacityFactor);
        require(rounding != null && scoreFunction != null && weights != null && dropOrder != null
                && metric != null && mode != null && irCapacity != null && capacityScope != null,
                "every enumerated option needs a value");
        require(rounds >= 1, "rounds must be >= 1, got " + rounds);
        require(maxExpertsPerToken == null || maxExpertsPerToken >= 1,
                "max-experts-per-token must be >= 1, got " + maxExpertsPerToken);
    }

    public static Builder builder(Policy policy, int topK) {
        return new Builder(policy, topK);
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** True when the capacity factor sets a capacity at all. */
    public boolean hasCapacity() {
        return capacityFactor != null && capacityFactor > 0 && policy != Policy.DROPLESS;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Builds a configuration from the spec's defaults. */
    public static final class Builder {
        private Policy policy;
        private int topK;
        private Double capacityFactor;
        private Rounding rounding = Rounding.CEIL;
        private ScoreFunction scoreFunction = ScoreFunction.SOFTMAX;
        private Weights weights = Weights.RAW;
        private DropOrder dropOrder = DropOrder.POSITION;
        private Metric metric = Metric.SCORE;
        private long seed;
        private RerouteMode mode = RerouteMode.ROUNDS;
        private int rounds = 2;
        private Integer maxExpertsPerToken;
        private IrCapacity irCapacity = IrCapacity.UNBOUNDED;
        private boolean irExcludeDroppingExpert = true;
        private CapacityScope capacityScope = CapacityScope.EXPERT;

        private Builder(Policy policy, int topK) {
            this.policy = policy;
            this.topK = topK;
        }

        private Builder(RoutingConfig c) {
            this(c.policy, c.topK);
            capacityFactor = c.capacityFactor;
            rounding = c.rounding;
            scoreFunction = c.scoreFunction;
            weights = c.weights;
            dropOrder = c.dropOrder;
            metric = c.metric;
            seed = c.seed;
            mode = c.mode;
            rounds = c.rounds;
            maxExpertsPerToken = c.maxExpertsPerToken;
            irCapacity = c.irCapacity;
            irExcludeDroppingExpert = c.irExcludeDroppingExpert;
            capacityScope = c.capacityScope;
        }

        public Builder policy(Policy value) {
            policy = value;
            return this;
        }

        public Builder topK(int value) {
            topK = value;
            return this;
        }

        public Builder capacityFactor(Double value) {
            capacityFactor = value;
            return this;
        }

        public Builder rounding(Rounding value) {
            rounding = value;
            return this;
        }

        public Builder scoreFunction(ScoreFunction value) {
            scoreFunction = value;
            return this;
        }

        public Builder weights(Weights value) {
            weights = value;
            return this;
        }

        public Builder dropOrder(DropOrder value) {
            dropOrder = value;
            return this;
        }

        public Builder metric(Metric value) {
            metric = value;
            return this;
        }

        public Builder seed(long value) {
            seed = value;
            return this;
        }

        public Builder mode(RerouteMode value) {
            mode = value;
            return this;
        }

        public Builder rounds(int value) {
            rounds = value;
            return this;
        }

        public Builder maxExpertsPerToken(Integer value) {
            maxExpertsPerToken = value;
            return this;
        }

        public Builder irCapacity(IrCapacity value) {
            irCapacity = value;
            return this;
        }

        public Builder irExcludeDroppingExpert(boolean value) {
            irExcludeDroppingExpert = value;
            return this;
        }

        public Builder capacityScope(CapacityScope value) {
            capacityScope = value;
            return this;
        }

        public RoutingConfig build() {
            return new RoutingConfig(policy, topK, capacityFactor, rounding, scoreFunction, weights, dropOrder,
                    metric, seed, mode, rounds, maxExpertsPerToken, irCapacity, irExcludeDroppingExpert,
                    capacityScope);
        }
    }
}
