package io.moestream.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VerdictTest {

    private static final long S = 1_000_000_000L;

    private final Map<String, Long> sent = new LinkedHashMap<>();
    private final List<ResultLog.Arrival> results = new ArrayList<>();

    private void ok(String id, long sentAt, long arrivedAt) {
        sent.put(id, sentAt * S);
        results.add(new ResultLog.Arrival(id, "ok", "", new byte[0], arrivedAt * S));
    }

    private void degraded(String id, long sentAt, long arrivedAt) {
        sent.put(id, sentAt * S);
        results.add(new ResultLog.Arrival(id, "degraded", "experts 4, 5, 6, 7 had no live consumer", new byte[0],
                arrivedAt * S));
    }

    /** A kill at 10 s restarted at {@code restart}; the run's only fault. */
    private Verdict verdict(long restart) {
        return verdict(new FaultInjector.Outcome(new Fault(Fault.Action.KILL, "router"), "router",
                10 * S, null, 0, true, restart * S, Duration.ofSeconds(1), ""));
    }

    /** An expert rank killed for good at 10 s; the run's only fault. */
    private Verdict rankDownForGood() {
        return verdict(new FaultInjector.Outcome(new Fault(Fault.Action.KILL_FOR_GOOD, "expert-1"), "expert-1",
                10 * S, null, 0, true, 0, null, ""));
    }

    private Verdict verdict(FaultInjector.Outcome kill) {
        return verdict(kill, null);
    }

    private Verdict verdict(FaultInjector.Outcome kill, Verdict.WholeModelRun wholeModel) {
        RunFigures figures = new RunFigures(sent, results, List.of(kill), 60 * S);
        OutputCheck.Figures outputs = new OutputCheck.Figures(figures.okResults().size(), Map.of(), List.of(), 1e-4);
        return new Verdict(figures, outputs, Map.of(), Map.of(), 1, null, null, wholeModel);
    }

    private static FaultInjector.Outcome routerKill() {
        return new FaultInjector.Outcome(new Fault(Fault.Action.KILL, "router"), "router", 10 * S, null, 0, true,
                12 * S, Duration.ofSeconds(1), "");
    }

    private static ResultLog.Arrival wholeModelResult(String id, String tokens) {
        return new ResultLog.Arrival(id, "ok", "", ("{\"id\": \"" + id + "\", \"status\": \"ok\", \"tokens\": "
                + tokens + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8), 14 * S);
    }

    /** A request decoded across the router's kill: its stream against its result, its one result, its arrival. */
    private Verdict wholeModelAcrossTheKill(List<ResultLog.Streamed> streamed, List<ResultLog.Arrival> answers) {
        ok("baseline", 1, 2);
        ok("after", 11, 14);
        Map<String, Long> wholeSent = Map.of("w1", 9 * S);
        return verdict(routerKill(), new Verdict.WholeModelRun(new RunFigures(wholeSent, answers, List.of(routerKill()),
                60 * S), StreamCheck.check(answers, streamed, wholeSent.keySet())));
    }

    @Test
    void aWholeModelRequestStreamedOnceAndAnsweredOncePasses() {
        Verdict verdict = wholeModelAcrossTheKill(List.of(new ResultLog.Streamed("w1", 0, 7),
                new ResultLog.Streamed("w1", 1, 9)), List.of(wholeModelResult("w1", "[7, 9]")));

        assertThat(verdict.outcome()).as(verdict.checks().toString()).isEqualTo(Verdict.Outcome.PASSED);
        assertThat(verdict.checks()).extracting(Verdict.Check::name)
                .contains("whole models: each token streamed once, as in the result");
    }

    @Test
    void aTokenStreamedAgainAfterATakeoverBreaksAnInvariant() {
        Verdict verdict = wholeModelAcrossTheKill(List.of(new ResultLog.Streamed("w1", 0, 7),
                new ResultLog.Streamed("w1", 0, 7), new ResultLog.Streamed("w1", 1, 9)),
                List.of(wholeModelResult("w1", "[7, 9]")));

        assertThat(verdict.outcome()).isEqualTo(Verdict.Outcome.INVARIANT_BROKEN);
        assertThat(verdict.checks()).filteredOn(c -> !c.passed()).extracting(Verdict.Check::name)
                .containsExactly("whole models: each token streamed once, as in the result");
    }

    @Test
    void aWholeModelRequestAnsweredTwiceOrWhoseStreamDiffersBreaksInvariants() {
        Verdict verdict = wholeModelAcrossTheKill(List.of(new ResultLog.Streamed("w1", 0, 7)),
                List.of(wholeModelResult("w1", "[7, 9]"), wholeModelResult("w1", "[7, 9]")));

        assertThat(verdict.checks()).filteredOn(c -> !c.passed()).extracting(Verdict.Check::name)
                .containsExactly("whole models: one result per request",
                        "whole models: each token streamed once, as in the result");
    }

    @Test
    void aRunWithEveryCheckMetPasses() {
        ok("baseline", 1, 2);
        ok("after", 11, 14);

        Verdict verdict = verdict(12);

        assertThat(verdict.outcome()).isEqualTo(Verdict.Outcome.PASSED);
        assertThat(verdict.passed()).isTrue();
    }

    @Test
    void slowProgressMissesAGoalWhileTheInvariantsHold() {
        ok("baseline", 1, 2);
        ok("after", 11, 40);                   // 28 s after the restart at 12: past the 15 s goal

        Verdict verdict = verdict(12);

        assertThat(verdict.outcome()).isEqualTo(Verdict.Outcome.GOALS_MISSED);
        assertThat(verdict.passed()).isFalse();
        assertThat(verdict.checks()).filteredOn(c -> !c.passed()).singleElement()
                .satisfies(c -> assertThat(c.goal()).isTrue());
    }

    @Test
    void aRankDownForGoodIsHeldToBeingRoutedAroundNotToARestartsProgress() {
        ok("baseline", 1, 2);
        degraded("routed-around", 26, 28);      // 18 s after the kill: past a restart's 15 s, within 20 s

        Verdict verdict = rankDownForGood();

        assertThat(verdict.outcome()).as(verdict.checks().toString()).isEqualTo(Verdict.Outcome.PASSED);
        assertThat(verdict.checks()).extracting(Verdict.Check::name)
                .contains("a rank down for good: results again within 20 s");
    }

    @Test
    void aRankDownForGoodThatStallsPastItsGoalMissesIt() {
        ok("baseline", 1, 2);
        degraded("waited-out-the-deadline", 11, 41);

        Verdict verdict = rankDownForGood();

        assertThat(verdict.outcome()).isEqualTo(Verdict.Outcome.GOALS_MISSED);
        assertThat(verdict.checks()).filteredOn(c -> !c.passed()).extracting(Verdict.Check::name)
                .containsExactly("a rank down for good: results again within 20 s");
    }

    @Test
    void aLostRequestBreaksAnInvariantWhateverTheGoals() {
        ok("baseline", 1, 2);
        ok("after", 11, 40);
        sent.put("lost", 12 * S);

        Verdict verdict = verdict(12);

        assertThat(verdict.outcome()).isEqualTo(Verdict.Outcome.INVARIANT_BROKEN);
        assertThat(verdict.checks()).filteredOn(c -> !c.passed() && !c.goal()).extracting(Verdict.Check::name)
                .containsExactly("no loss: every accepted prompt has a result");
    }
}
