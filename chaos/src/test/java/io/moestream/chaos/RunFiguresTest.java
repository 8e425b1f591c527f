package io.moestream.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunFiguresTest {

    private static final long S = 1_000_000_000L;

    private final Map<String, Long> sent = new LinkedHashMap<>();
    private final List<ResultLog.Arrival> results = new ArrayList<>();

    private void request(String id, long sentAt, String status, long... arrivals) {
        sent.put(id, sentAt * S);
        for (long at : arrivals) {
            results.add(new ResultLog.Arrival(id, status, status.equals("ok") ? "" : "experts 1 did not answer",
                    new byte[0], at * S));
        }
    }

    private static FaultInjector.Outcome fault(Fault.Action action, long at, long restart) {
        return new FaultInjector.Outcome(new Fault(action, "router"), "router", at * S, null, 0, true, restart * S,
                Duration.ofSeconds(1), "");
    }

    @Test
    void countsEachRequestByItsFirstResultInTheWindowOfTheFaultItWasSentAfter() {
        request("a", 0, "ok", 1);
        request("b", 9, "degraded", 20);       // 2 s before the fault at 10: its window
        request("c", 12, "ok", 25, 40);        // doubled
        request("d", 13, "error", 50);
        sent.put("e", 14 * S);                 // lost
        request("f", 30, "ok", 31);            // the next fault's window

        RunFigures figures = new RunFigures(sent, results,
                List.of(fault(Fault.Action.KILL, 10, 12), fault(Fault.Action.KILL_FOR_GOOD, 29, 0)), 30 * S);

        assertThat(figures.baseline()).isEqualTo(new RunFigures.Counts(1, 1, 0, 0, 0));
        assertThat(figures.faults().get(0).counts()).isEqualTo(new RunFigures.Counts(4, 1, 1, 1, 1));
        assertThat(figures.faults().get(1).counts()).isEqualTo(new RunFigures.Counts(1, 1, 0, 0, 0));
        assertThat(figures.total()).isEqualTo(new RunFigures.Counts(6, 3, 1, 1, 1));
        assertThat(figures.restartedOnly().requests()).isEqualTo(5);
        assertThat(figures.lost()).containsExactly("e");
        assertThat(figures.duplicated()).containsExactly(Map.entry("c", 2));
        assertThat(figures.okResults()).extracting(ResultLog.Arrival::id).containsExactly("a", "c", "c", "f");
        assertThat(figures.drain()).isEqualTo(Duration.ofSeconds(20));
    }

    @Test
    void progressIsTheFirstOkResultOfAPromptSentAfterTheFault() {
        request("before", 9, "ok", 15);        // sent before the fault: not progress
        request("degraded", 11, "degraded", 16);
        request("after", 12, "ok", 18);
        request("late", 13, "ok", 17);

        RunFigures.FaultFigures figures = new RunFigures(sent, results, List.of(fault(Fault.Action.KILL, 10, 14)),
                20 * S).faults().get(0);

        assertThat(figures.sinceFault()).isEqualTo(Duration.ofSeconds(7));
        assertThat(figures.sinceRestart()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void aRankDownForGoodProgressesWithAnyResult() {
        request("degraded", 11, "degraded", 16);

        RunFigures.FaultFigures figures = new RunFigures(sent, results,
                List.of(fault(Fault.Action.KILL_FOR_GOOD, 10, 0)), 20 * S).faults().get(0);

        assertThat(figures.sinceFault()).isEqualTo(Duration.ofSeconds(6));
        assertThat(figures.sinceRestart()).isEqualTo(Duration.ofSeconds(6));
    }

    @Test
    void noProgressWhenNoOkResultCame() {
        request("degraded", 11, "degraded", 16);

        RunFigures.FaultFigures figures = new RunFigures(sent, results, List.of(fault(Fault.Action.KILL, 10, 12)),
                20 * S).faults().get(0);

        assertThat(figures.sinceFault()).isNull();
        assertThat(figures.sinceRestart()).isNull();
    }
}
