package io.moestream.routing;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.assertj.core.api.AbstractThrowableAssert;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Invalid input is refused up front, with a message that says what was wrong and where. */
class RoutingValidationTest {

    private static final int TOKENS = 4;
    private static final int EXPERTS = 6;

    private static Router router() {
        return new Router(RoutingConfig.builder(Policy.TOKEN_DROP, 2).capacityFactor(1.0).build(),
                Placement.contiguous(EXPERTS, 2));
    }

    private static double[][] logits() {
        double[][] logits = new double[TOKENS][EXPERTS];
        for (double[] row : logits) {
            Arrays.fill(row, 0.5);
        }
        return logits;
    }

    /** Each pattern is searched in the message, ignoring case. */
    private static void assertRejected(ThrowingCallable call, String... messagePatterns) {
        AbstractThrowableAssert<?, ? extends Throwable> thrown =
                assertThatThrownBy(call).isInstanceOf(IllegalArgumentException.class);
        for (String pattern : messagePatterns) {
            thrown.hasMessageFindingMatch("(?i)" + pattern);
        }
    }

    @Test
    void topKAboveTheNumberOfExpertsIsRejected() {
        RoutingConfig topFive = RoutingConfig.builder(Policy.VANILLA, 5).build();
        assertRejected(() -> new Router(topFive, Placement.contiguous(4, 2)), "top-k", "\\b5\\b", "\\b4\\b");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1})
    void topKBelowOneIsRejected(int topK) {
        assertRejected(() -> RoutingConfig.builder(Policy.VANILLA, topK).build(), "top-k", "(^|\\s)" + topK + "\\b");
    }

    @Test
    void unknownPolicyNameIsRejectedListingTheValidOnes() {
        String[] valid = Arrays.stream(Policy.values()).map(SpecName::of).map(name -> "\\b" + name + "\\b")
                .toArray(String[]::new);
        assertRejected(() -> SpecName.parse(Policy.class, "policy", "nope"), "policy", "nope");
        assertRejected(() -> SpecName.parse(Policy.class, "policy", "nope"), valid);
    }

    @ParameterizedTest
    @ValueSource(doubles = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY})
    void nonFiniteLogitIsRejectedNamingTheTokenAndExpert(double value) {
        double[][] logits = logits();
        logits[3][5] = value;
        assertRejected(() -> router().route(logits, 0), "token\\D{0,3}3\\b", "expert\\D{0,3}5\\b",
                "NaN|Infinity|finite");
    }

    @ParameterizedTest
    @ValueSource(ints = {EXPERTS - 1, EXPERTS + 1})
    void logitRowOfTheWrongLengthIsRejectedNamingTheRow(int length) {
        double[][] logits = logits();
        logits[2] = new double[length];
        assertRejected(() -> router().route(logits, 0), "(token|row)\\D{0,3}2\\b", "\\b" + EXPERTS + "\\b",
                "\\b" + length + "\\b");
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 2, 7})
    void sourceRankOutsideThePlacementIsRejected(int rank) {
        assertRejected(() -> router().route(logits(), rank), "rank", "(^|[^\\d-])" + rank + "\\b");
    }

    @Test
    void roundsBelowOneIsRejected() {
        assertRejected(() -> RoutingConfig.builder(Policy.TOKEN_REROUTE, 1).rounds(0).build(), "rounds", "\\b0\\b");
    }

    @Test
    void moreRanksThanExpertsIsRejected() {
        assertRejected(() -> Placement.contiguous(4, 5), "ranks", "\\b5\\b");
    }

    @Test
    void nonFiniteCapacityFactorIsRejected() {
        assertRejected(() -> RoutingConfig.builder(Policy.VANILLA, 1).capacityFactor(Double.NaN).build(),
                "capacity-factor", "NaN");
    }

    @Test
    void maxExpertsPerTokenBelowOneIsRejected() {
        assertRejected(() -> RoutingConfig.builder(Policy.EXPANDED_DROP, 1).maxExpertsPerToken(0).build(),
                "max-experts-per-token", "\\b0\\b");
    }
}
