package io.moestream.routing;

import io.moestream.routing.Options.RerouteMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * ROUTING-SPEC section 4, every cell of its table. The expected cells are the spec's text, parsed,
 * so this test reads like the table it checks.
 */
class WorkedExampleTest {

    /** Scores p of the two steps; the logits are {@code a = ln p}. */
    static final double[][] RANK0_STEP = {
            {.442, .126, .272, .159},
            {.171, .155, .397, .278},
            {.420, .088, .167, .325},
            {.145, .437, .157, .262}};
    static final double[][] RANK1_STEP = {
            {.237, .110, .227, .426},
            {.290, .475, .062, .172},
            {.773, .127, .055, .046},
            {.415, .301, .088, .196}};

    static final Placement TWO_RANKS = Placement.contiguous(4, 2);

    static Stream<Arguments> table() {
        return Stream.of(
                row("dropless", b -> b.policy(Policy.DROPLESS), "0, 2, 0, 1", "3, 1, 0, 0"),
                row("vanilla", b -> b.policy(Policy.VANILLA), "0, 2, -, 1", "3, 1, 0, -"),
                row("token-drop", b -> b.policy(Policy.TOKEN_DROP), "0, 2, -, 1", "3, 1, 0, -"),
                row("token-reroute rounds=2", b -> b.policy(Policy.TOKEN_REROUTE).rounds(2),
                        "0, 2, 3(rerouted .325), 1", "3, 1, 0, -"),
                row("token-reroute greedy", b -> b.policy(Policy.TOKEN_REROUTE).mode(RerouteMode.GREEDY),
                        "0, 2, 3(rerouted .325), 1", "3, 1, 0, 2(rerouted .088)"),
                row("expanded-drop", b -> b.policy(Policy.EXPANDED_DROP),
                        "0, 2, -, 1", "{3, 2(expanded .227)}, 1, 0, -"),
                row("rectify-ir", b -> b.policy(Policy.RECTIFY_IR),
                        "0, 2, 1(rectified 1.0), 1", "3, 1, 0, 3(rectified 1.0)"),
                row("rectify-fr", b -> b.policy(Policy.RECTIFY_FR),
                        "0, 2, 3(filled 1.0), 1", "3, 1, 0, -"),
                row("rectify", b -> b.policy(Policy.RECTIFY),
                        "0, 2, {1(rectified .213), 3(filled .787)}, 1", "3, 1, 0, 3(rectified 1.0)"));
    }

    private static Arguments row(String name, UnaryOperator<RoutingConfig.Builder> options, String rank0, String rank1) {
        RoutingConfig config = options.apply(RoutingConfig.builder(Policy.DROPLESS, 1).capacityFactor(1.0)).build();
        return Arguments.of(name, config, rank0, rank1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void everyCellOfTheTable(String name, RoutingConfig config, String rank0, String rank1) {
        Router router = new Router(config, TWO_RANKS);
        assertCells(router.route(logits(RANK0_STEP), 0), RANK0_STEP, rank0, config);
        assertCells(router.route(logits(RANK1_STEP), 1), RANK1_STEP, rank1, config);
    }

    @Test
    void capacityIsOneAndDroplessLoadsMatchTheTable() {
        Router capacityAware = new Router(RoutingConfig.builder(Policy.TOKEN_DROP, 1).capacityFactor(1.0).build(),
                TWO_RANKS);
        assertThat(capacityAware.route(logits(RANK0_STEP), 0).capacity()).isEqualTo(1);

        Router dropless = new Router(RoutingConfig.builder(Policy.DROPLESS, 1).build(), TWO_RANKS);
        assertThat(dropless.route(logits(RANK0_STEP), 0).stats().load()).containsExactly(2, 1, 1, 0);
        assertThat(dropless.route(logits(RANK1_STEP), 1).stats().load()).containsExactly(2, 1, 0, 1);
        assertThat(dropless.route(logits(RANK0_STEP), 0).capacity()).isNull();
    }

    /**
     * With the option false, t2 goes back to expert 0, which then keeps it: not a dropped expert
     * (section 1, "Slot"), so neither in t2's list nor in the step's dropped count. t7 is rectified
     * onto expert 3 instead, so expert 0 still does not keep it and stays dropped.
     */
    @Test
    void irMayReturnToTheDroppingExpertWhenAllowedWhichThenKeepsTheToken() {
        RoutingConfig config = RoutingConfig.builder(Policy.RECTIFY_IR, 1).capacityFactor(1.0)
                .irExcludeDroppingExpert(false).build();
        Router router = new Router(config, TWO_RANKS);
        RoutingResult rank0 = router.route(logits(RANK0_STEP), 0);
        RoutingResult rank1 = router.route(logits(RANK1_STEP), 1);

        assertThat(rank0.kept(2)).containsExactly(new Slot(0, SlotKind.RECTIFIED, 1.0, 1));
        assertThat(rank0.dropped(2)).isEmpty();
        RoutingStats stats = rank0.stats();
        assertThat(stats.dropped()).isZero();
        assertThat(stats.dropRate()).isZero();
        assertThat(stats.primary()).isEqualTo(3);
        assertThat(stats.rectified()).isEqualTo(1);
        assertThat(stats.kept()).isEqualTo(4);
        assertThat(stats.load()).containsExactly(2, 1, 1, 0);

        assertThat(rank1.kept(3)).containsExactly(new Slot(3, SlotKind.RECTIFIED, 1.0, 1));
        assertThat(rank1.dropped(3)).containsExactly(0);
        assertThat(rank1.stats().dropped()).isEqualTo(1);
        assertThat(rank1.stats().dropRate()).isEqualTo(0.25);
    }

    @Test
    void tokenRerouteStatisticsCountTheDropAndTheReroute() {
        RoutingConfig config = RoutingConfig.builder(Policy.TOKEN_REROUTE, 1).capacityFactor(1.0).build();
        RoutingStats stats = new Router(config, TWO_RANKS).route(logits(RANK0_STEP), 0).stats();
        assertThat(stats.dropped()).isEqualTo(1);
        assertThat(stats.rerouted()).isEqualTo(1);
        assertThat(stats.kept()).isEqualTo(4);
        assertThat(stats.dropRate()).isEqualTo(0.25);
        assertThat(stats.vacancy()).isZero();
        assertThat(stats.crossRankSlots()).isEqualTo(2);
        assertThat(stats.expertStraggler()).isEqualTo(1.0);
        // t2 lost .420 on expert 0 and kept .325 on expert 3.
        assertThat(stats.gateMassKept()).isCloseTo((.442 + .397 + .325 + .437) / (.442 + .397 + .420 + .437),
                within(1e-3));
    }

    static double[][] logits(double[][] p) {
        double[][] a = new double[p.length][];
        for (int t = 0; t < p.length; t++) {
            a[t] = new double[p[t].length];
            for (int e = 0; e < p[t].length; e++) {
                a[t][e] = Math.log(p[t][e]);
            }
        }
        return a;
    }

    /** Checks one step against a table cell such as {@code "0, 2, {1(rectified .213), 3(filled .787)}, 1"}. */
    private static void assertCells(RoutingResult result, double[][] p, String cells, RoutingConfig config) {
        List<String> perToken = splitTopLevel(cells);
        assertThat(perToken).hasSize(result.tokens());
        for (int t = 0; t < perToken.size(); t++) {
            List<Slot> kept = result.kept(t);
            List<String> expected = slotsOf(perToken.get(t));
            assertThat(kept).as("token %d of %s", t, cells).hasSize(expected.size());
            for (int i = 0; i < expected.size(); i++) {
                assertSlot(kept.get(i), expected.get(i), p[t], config, "token " + t + " of " + cells);
            }
        }
    }

    /** {@code "3"} is a primary slot; {@code "2(expanded .227)"} names its kind and weight. */
    private static void assertSlot(Slot slot, String expected, double[] p, RoutingConfig config, String where) {
        int paren = expected.indexOf('(');
        int expert = Integer.parseInt(paren < 0 ? expected : expected.substring(0, paren));
        assertThat(slot.expert()).as(where).isEqualTo(expert);
        if (paren < 0) {
            assertThat(slot.kind()).as(where).isEqualTo(SlotKind.PRIMARY);
            if (!config.policy().rectifies()) {
                assertThat(slot.weight()).as(where).isCloseTo(p[expert], within(1e-3));
            }
            return;
        }
        String[] kindAndWeight = expected.substring(paren + 1, expected.length() - 1).split(" ");
        assertThat(SpecName.of(slot.kind())).as(where).isEqualTo(kindAndWeight[0]);
        assertThat(slot.weight()).as(where).isCloseTo(Double.parseDouble(kindAndWeight[1]), within(1e-3));
    }

    /** The cell's slots sorted by expert id, the order in which results list them. */
    private static List<String> slotsOf(String cell) {
        if (cell.equals("-")) {
            return List.of();
        }
        if (!cell.startsWith("{")) {
            return List.of(cell);
        }
        List<String> slots = splitTopLevel(cell.substring(1, cell.length() - 1));
        slots.sort(Comparator.comparingInt(slot -> Integer.parseInt(slot.split("\\(")[0])));
        return slots;
    }

    private static List<String> splitTopLevel(String text) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '{') {
                depth++;
            } else if (c == '}') {
                depth--;
            } else if (c == ',' && depth == 0) {
                parts.add(text.substring(start, i).trim());
                start = i + 1;
            }
        }
        parts.add(text.substring(start).trim());
        return parts;
    }
}
