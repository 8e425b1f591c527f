package io.moestream.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The matrices hold what issue #10 asks of them. */
class FaultTest {

    private static final List<String> GATEWAYS = List.of("gateway");
    private static final List<String> ROUTERS = List.of("router");
    private static final List<String> EXPERTS = List.of("expert-0", "expert-1");

    @Test
    void theFullMatrixKillsEachServiceTypeThreeTimesAndEndsWithARankDownForGood() {
        List<Fault> faults = Fault.fullMatrix(GATEWAYS, ROUTERS, EXPERTS);
        Map<String, Long> kills = faults.stream().filter(f -> f.action() == Fault.Action.KILL && !f.broker())
                .collect(Collectors.groupingBy(f -> f.target().replaceAll("-\\d+$", ""), Collectors.counting()));

        assertThat(kills).containsExactlyInAnyOrderEntriesOf(Map.of("gateway", 3L, "router", 3L, "expert", 3L));
        assertThat(faults.stream().filter(f -> f.action() == Fault.Action.KILL && !f.broker()).map(Fault::target))
                .contains("expert-0", "expert-1");
        assertThat(faults.stream().filter(f -> f.action() == Fault.Action.TERM).map(Fault::target))
                .containsExactlyInAnyOrder("gateway", "router", "expert-0", "expert-1");
        assertThat(faults.stream().filter(Fault::broker).map(Fault::target))
                .containsExactly(Fault.CONTROLLER, Fault.FOLLOWER, Fault.CONTROLLER);
        assertThat(faults.subList(faults.size() - 2, faults.size())).containsExactly(
                new Fault(Fault.Action.STOP, "expert-1"), new Fault(Fault.Action.KILL_FOR_GOOD, "expert-1"));
    }

    @Test
    void theShortFormKillsEachServiceTypeAndTheController() {
        assertThat(Fault.shortMatrix(GATEWAYS, ROUTERS, EXPERTS)).extracting(Fault::action, Fault::target)
                .containsExactly(
                        tuple(Fault.Action.KILL, "expert-1"),
                        tuple(Fault.Action.KILL, "router"),
                        tuple(Fault.Action.KILL, "gateway"),
                        tuple(Fault.Action.KILL, Fault.CONTROLLER));
    }

    @Test
    void onlyKillsAndCleanRestartsCountTowardsTheOkGoal() {
        Map<Fault.Action, Boolean> restarts = Arrays.stream(Fault.Action.values())
                .collect(Collectors.toMap(Function.identity(), Fault.Action::restarts));

        assertThat(restarts).containsExactlyInAnyOrderEntriesOf(Map.of(Fault.Action.KILL, true, Fault.Action.TERM,
                true, Fault.Action.STOP, false, Fault.Action.KILL_FOR_GOOD, false));
    }
}
