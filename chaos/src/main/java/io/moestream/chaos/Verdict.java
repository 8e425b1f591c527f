package io.moestream.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A whole matrix and a healthy baseline, the invariants of issue #10 (no loss, no duplicates, no
 * corruption, every transaction finished, the faults landing inside transactions, three replicas,
 * degraded results that say why, every bad record dead-lettered) and its goals (no error results, 99.5%
 * ok under restarts, progress within 15 s of each restart, a rank down for good routed around, good
 * requests not slowed past 2x by bad ones),
 * each as a figure and whether it holds. Any failed check fails the run; {@link #outcome()} tells an
 * invariant broken from a goal missed, since every goal is a matter of time on a shared machine.
 */
final class Verdict {

    static final double OK_GOAL = 0.995;
    static final Duration PROGRESS_GOAL = Duration.ofSeconds(15);
    /**
     * Until its session times out (the expert service's 15 s) a rank down for good cannot be told from one
     * restarting, which may take as long; then the router gives it no slots and results flow again: the
     * issue's "must not stall anything", with 5 s to see the group change and route the next batches.
     */
    static final Duration ROUTED_AROUND_GOAL = Duration.ofSeconds(20);

    /** @param goal a goal of the issue rather than an invariant of exactly-once processing */
    record Check(String name, boolean passed, String figure, boolean goal) {
    }

    /** How a run ended, most serious last. */
    enum Outcome { PASSED, GOALS_MISSED, INVARIANT_BROKEN }

    private final List<Check> checks = new ArrayList<>();

    /**
     * @param openAtEnd partitions whose read_uncommitted end was still ahead of read_committed at the end
     * @param underReplicatedTopics topics with fewer than three replicas
     * @param planned faults in the matrix
     * @param stopped the fault at which the matrix stopped and why (a replacement never ready), or null
     * @param fuzz the fuzz phase's figures, or null when it was skipped
     * @param wholeModel the whole models' requests decoded during the faults, or null when none were sent
     */
    Verdict(RunFigures figures, OutputCheck.Figures outputs, Map<String, Long> openAtEnd,
            Map<String, Integer> underReplicatedTopics, int planned, String stopped, FuzzFigures fuzz,
            WholeModelRun wholeModel) {
        invariant("every fault of the matrix carried out", stopped == null, figures.faults().size() + " of "
                + planned + (stopped == null ? "" : "; stopped at " + stopped));
        RunFigures.Counts baseline = figures.baseline();
        invariant("the baseline (before any fault) is all ok", baseline.ok() == baseline.requests(),
                baseline.ok() + " of " + baseline.requests() + (baseline.ok() == baseline.requests() ? ""
                        : ": the pipeline does not keep up at this rate on this machine; see --rate"));
        List<String> lost = figures.lost();
        Map<String, Integer> duplicated = figures.duplicated();
        invariant("no loss: every accepted prompt has a result", lost.isEmpty(),
                lost.size() + " lost" + examples(lost));
        invariant("no duplicates: one final result per request", duplicated.isEmpty(),
                duplicated.size() + " requests with more than one result" + examples(duplicated.entrySet().stream()
                        .map(e -> e.getKey() + " x" + e.getValue()).toList()));
        invariant("no corruption: ok outputs equal the in-process layer's within " + outputs.tolerance(),
                outputs.corrupt().isEmpty() && outputs.unverifiable().isEmpty(),
                outputs.checked() + " checked, " + outputs.corrupt().size() + " differ" + examples(outputs.corrupt()
                        .entrySet().stream().map(e -> String.format("%s (rel. L2 %.2g)", e.getKey(), e.getValue()))
                        .toList()) + ", " + outputs.unverifiable().size() + " without outputs or batches"
                        + examples(outputs.unverifiable()));
        invariant("every transaction finishes: read_committed end == read_uncommitted end", openAtEnd.isEmpty(),
                openAtEnd.isEmpty() ? "all partitions closed" : openAtEnd.size() + " partitions still open"
                        + examples(openAtEnd.entrySet().stream().map(e -> e.getKey() + " +" + e.getValue()).toList()));
        List<String> missed = figures.faults().stream().map(RunFigures.FaultFigures::outcome)
                .filter(o -> o.fault().action() != Fault.Action.TERM && !o.midTransaction())
                .map(o -> o.fault().label()).toList();
        invariant("faults land mid-transaction (uncommitted output at the kill)", missed.isEmpty(),
                missed.isEmpty() ? "all" : missed.size() + " did not" + examples(missed));
        invariant("3 replicas for every topic", underReplicatedTopics.isEmpty(),
                underReplicatedTopics.isEmpty() ? "all" : underReplicatedTopics.toString());

        RunFigures.Counts total = figures.total();
        goal("no error results", total.error() == 0, total.error() + " error");
        RunFigures.Counts restarted = figures.restartedOnly();
        goal(String.format("at least %.1f%% ok while faults are restarts", OK_GOAL * 100),
                restarted.okShare() >= OK_GOAL, String.format("%.2f%% of %d", restarted.okShare() * 100,
                        restarted.requests()));
        List<String> slow = slower(figures, false, PROGRESS_GOAL);
        goal("progress within " + PROGRESS_GOAL.toSeconds() + " s of each restart", slow.isEmpty(),
                slow.isEmpty() ? "all" : slow.size() + " slower" + examples(slow));
        if (figures.faults().stream().anyMatch(Verdict::forGood)) {
            List<String> stalled = slower(figures, true, ROUTED_AROUND_GOAL);
            goal("a rank down for good: results again within " + ROUTED_AROUND_GOAL.toSeconds() + " s",
                    stalled.isEmpty(), stalled.isEmpty() ? "yes" : "no" + examples(stalled));
        }
        List<String> silent = figures.degradedWithoutReason();
        invariant("degraded results say why", silent.isEmpty(), silent.size() + " without a reason"
                + examples(silent));
        if (fuzz != null) {
            fuzzGoals(fuzz);
        }
        if (wholeModel != null) {
            wholeModelChecks(wholeModel);
        }
    }

    /** Whole-model requests sent during the faults, and their streams checked against their results. */
    record WholeModelRun(RunFigures figures, StreamCheck.Figures streams) {
    }

    /** Issue #11: the same invariants and ok goal for whole models, with decode in flight during the faults. */
    private void wholeModelChecks(WholeModelRun run) {
        List<String> lost = run.figures().lost();
        invariant("whole models: every accepted request has a result", lost.isEmpty(), lost.size() + " lost"
                + examples(lost));
        Map<String, Integer> duplicated = run.figures().duplicated();
        invariant("whole models: one result per request", duplicated.isEmpty(), duplicated.size()
                + " with more than one" + examples(duplicated.keySet().stream().toList()));
        StreamCheck.Figures streams = run.streams();
        invariant("whole models: each token streamed once, as in the result",
                streams.repeated().isEmpty() && streams.differing().isEmpty(), streams.checked() + " checked, "
                        + streams.repeated().size() + " streamed an index twice" + examples(streams.repeated()) + ", "
                        + streams.differing().size() + " differ from their result" + examples(streams.differing()));
        RunFigures.Counts restarted = run.figures().restartedOnly();
        goal(String.format("whole models: at least %.1f%% ok while faults are restarts", OK_GOAL * 100),
                restarted.okShare() >= OK_GOAL, String.format("%.2f%% of %d", restarted.okShare() * 100,
                        restarted.requests()));
    }

    /** The faults of one kind (ranks down for good, or those restarted) whose progress came later than {@code goal}. */
    private static List<String> slower(RunFigures figures, boolean forGood, Duration goal) {
        return figures.faults().stream().filter(f -> forGood(f) == forGood)
                .filter(f -> f.sinceRestart() == null || f.sinceRestart().compareTo(goal) > 0)
                .map(f -> f.outcome().fault().label() + " (" + (f.sinceRestart() == null ? "never"
                        : f.sinceRestart().toSeconds() + " s") + ")").toList();
    }

    private static boolean forGood(RunFigures.FaultFigures fault) {
        return fault.outcome().fault().action() == Fault.Action.KILL_FOR_GOOD;
    }

    /** Issue #10's bad input at scale: every bad record dead-lettered, no good request lost or slowed past 2x. */
    private void fuzzGoals(FuzzFigures fuzz) {
        FuzzLedger.Account account = fuzz.account();
        List<String> missing = account.missing();
        int deadLettered = account.topics().stream().mapToInt(FuzzLedger.TopicFigures::deadLettered).sum();
        int refused = account.topics().stream().mapToInt(FuzzLedger.TopicFigures::refusedByBroker).sum();
        invariant("fuzz: every bad record dead-lettered with a reason", account.complete(), account.sent() + " sent, "
                + deadLettered + " dead-lettered, " + refused + " refused by Kafka, " + missing.size() + " missing"
                + examples(missing) + (account.unaccounted().isEmpty() ? "" : ", " + account.unaccounted().size()
                + " dead letters of no record sent" + examples(account.unaccounted())));
        FuzzFigures.Latency during = fuzz.during();
        goal(String.format("fuzz: good requests all ok, p50 and p99 within %.0fx of the baseline",
                FuzzFigures.SLOWDOWN_GOAL), fuzz.goodRequestsUnharmed(), String.format(
                "%d of %d ok; p50 x%.2f, p99 x%.2f", during.ok(), during.requests(), fuzz.p50Ratio(),
                fuzz.p99Ratio()));
    }

    private void invariant(String name, boolean passed, String figure) {
        checks.add(new Check(name, passed, figure, false));
    }

    private void goal(String name, boolean passed, String figure) {
        checks.add(new Check(name, passed, figure, true));
    }

    List<Check> checks() {
        return List.copyOf(checks);
    }

    boolean passed() {
        return outcome() == Outcome.PASSED;
    }

    Outcome outcome() {
        if (checks.stream().anyMatch(c -> !c.goal() && !c.passed())) {
            return Outcome.INVARIANT_BROKEN;
        }
        return checks.stream().allMatch(Check::passed) ? Outcome.PASSED : Outcome.GOALS_MISSED;
    }

    private static String examples(List<String> items) {
        return items.isEmpty() ? "" : " (" + String.join(", ", items.stream().limit(5).toList())
                + (items.size() > 5 ? ", ..." : "") + ")";
    }
}
