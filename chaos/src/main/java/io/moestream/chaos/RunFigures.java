package io.moestream.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The figures of a run from what was sent and what came back: per request its final result; per fault
 * the requests sent while it was the latest one, and how long until {@code ok} results of prompts sent
 * after it flowed again.
 *
 * <p>A request belongs to the window of the latest fault injected before it was sent, counted from
 * {@link #WINDOW_LEAD} before the fault: prompts already in flight when a fault hits are its victims
 * too. Requests sent before the first window are the baseline.
 */
final class RunFigures {

    static final Duration WINDOW_LEAD = Duration.ofSeconds(2);

    /** Counts of first results by status. */
    record Counts(int requests, int ok, int degraded, int error, int lost) {

        double okShare() {
            return requests == 0 ? 1 : (double) ok / requests;
        }
    }

    /**
     * One fault's figures.
     *
     * @param sinceFault from the fault to the first ok result of a prompt sent after it; null when none came
     * @param sinceRestart from the restart (or SIGCONT) to that result, 0 when it came before; null without one
     */
    record FaultFigures(FaultInjector.Outcome outcome, Counts counts, Duration sinceFault, Duration sinceRestart) {
    }

    private final Map<String, Long> sent;
    private final Map<String, List<ResultLog.Arrival>> resultsById;
    private final List<FaultInjector.Outcome> outcomes;
    private final long loadStopNanos;

    /**
     * @param sent accepted prompts and when each was sent
     * @param results every result read, in arrival order
     * @param outcomes the faults, in the order they were injected
     */
    RunFigures(Map<String, Long> sent, List<ResultLog.Arrival> results, List<FaultInjector.Outcome> outcomes,
               long loadStopNanos) {
        this.sent = Map.copyOf(sent);
        this.resultsById = results.stream().collect(Collectors.groupingBy(ResultLog.Arrival::id,
                LinkedHashMap::new, Collectors.toList()));
        this.outcomes = List.copyOf(outcomes);
        this.loadStopNanos = loadStopNanos;
    }

    Counts total() {
        return counts(sent.keySet());
    }

    /** Requests sent while no fault or only restarted ones had happened: where the 99.5% goal applies. */
    Counts restartedOnly() {
        return counts(sent.keySet().stream().filter(id -> {
            int window = window(sent.get(id));
            return window < 0 || outcomes.get(window).fault().action().restarts();
        }).collect(Collectors.toSet()));
    }

    Counts baseline() {
        return counts(sent.keySet().stream().filter(id -> window(sent.get(id)) < 0).collect(Collectors.toSet()));
    }

    List<FaultFigures> faults() {
        List<FaultFigures> figures = new ArrayList<>();
        for (int i = 0; i < outcomes.size(); i++) {
            int window = i;
            FaultInjector.Outcome outcome = outcomes.get(i);
            Counts counts = counts(sent.keySet().stream().filter(id -> window(sent.get(id)) == window)
                    .collect(Collectors.toSet()));
            Long resumed = firstResultAfter(outcome.atNanos(), outcome.fault().action() != Fault.Action.KILL_FOR_GOOD);
            Duration sinceFault = resumed == null ? null : Duration.ofNanos(resumed - outcome.atNanos());
            long from = outcome.restartNanos() == 0 ? outcome.atNanos() : outcome.restartNanos();
            Duration sinceRestart = resumed == null ? null : Duration.ofNanos(Math.max(0, resumed - from));
            figures.add(new FaultFigures(outcome, counts, sinceFault, sinceRestart));
        }
        return figures;
    }

    /**
     * When the first result (ok only, if {@code okOnly}) of a prompt sent at or after {@code nanos}
     * arrived; null if none did. A rank down for good can only answer degraded: there, any result is progress.
     */
    private Long firstResultAfter(long nanos, boolean okOnly) {
        return resultsById.values().stream().flatMap(List::stream)
                .filter(r -> !okOnly || r.ok())
                .filter(r -> sent.containsKey(r.id()) && sent.get(r.id()) >= nanos)
                .map(ResultLog.Arrival::arrivedNanos).min(Long::compare).orElse(null);
    }

    /**
     * The requests by when they were sent, in buckets of {@code width} from the first prompt, each with
     * the faults injected while it lasted.
     */
    List<Bucket> timeline(Duration width) {
        long first = sent.values().stream().mapToLong(Long::longValue).min().orElse(0);
        Map<Integer, Set<String>> ids = new TreeMap<>();
        sent.forEach((id, at) -> ids.computeIfAbsent((int) ((at - first) / width.toNanos()),
                b -> new HashSet<>()).add(id));
        List<Bucket> buckets = new ArrayList<>();
        ids.forEach((bucket, members) -> {
            long from = first + bucket * width.toNanos();
            List<String> faults = outcomes.stream()
                    .filter(o -> o.atNanos() >= from && o.atNanos() < from + width.toNanos())
                    .map(o -> o.fault().label()).toList();
            buckets.add(new Bucket(width.multipliedBy(bucket), counts(members), faults));
        });
        return buckets;
    }

    /** Requests sent from {@code start} (since the first prompt) for one bucket's width, and the faults then. */
    record Bucket(Duration start, Counts counts, List<String> faults) {
    }

    /** Requests without any result. */
    List<String> lost() {
        return sent.keySet().stream().filter(id -> !resultsById.containsKey(id)).sorted().toList();
    }

    /** Requests with more than one result, and how many each got. */
    Map<String, Integer> duplicated() {
        return resultsById.entrySet().stream().filter(e -> e.getValue().size() > 1)
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().size(), Integer::sum, TreeMap::new));
    }

    /** Results for ids the harness never had acknowledged as sent (apart from its warm-up prompts). */
    Set<String> unexpected(String warmUpPrefix) {
        return resultsById.keySet().stream().filter(id -> !sent.containsKey(id) && !id.startsWith(warmUpPrefix))
                .collect(Collectors.toSet());
    }

    /** Degraded results that do not say why (which experts were missing). */
    List<String> degradedWithoutReason() {
        return resultsById.values().stream().flatMap(List::stream)
                .filter(r -> "degraded".equals(r.status()) && r.error().isBlank()).map(ResultLog.Arrival::id).toList();
    }

    /** The most common reasons of degraded and error results, with their counts. */
    Map<String, Long> reasons() {
        return resultsById.values().stream().map(l -> l.get(0)).filter(r -> !r.ok())
                .collect(Collectors.groupingBy(r -> r.status() + ": " + r.error(), Collectors.counting()))
                .entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(5)
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, Long::sum, LinkedHashMap::new));
    }

    /** Every ok result of an accepted prompt, duplicates included: what the output check compares. */
    List<ResultLog.Arrival> okResults() {
        return resultsById.values().stream().flatMap(List::stream).filter(r -> r.ok() && sent.containsKey(r.id()))
                .toList();
    }

    /** From the last prompt sent to the last result of an accepted prompt; null before any result. */
    Duration drain() {
        return resultsById.values().stream().flatMap(List::stream).filter(r -> sent.containsKey(r.id()))
                .map(ResultLog.Arrival::arrivedNanos).max(Comparator.naturalOrder())
                .map(last -> Duration.ofNanos(Math.max(0, last - loadStopNanos))).orElse(null);
    }

    private Counts counts(Set<String> ids) {
        int ok = 0;
        int degraded = 0;
        int error = 0;
        int lost = 0;
        for (String id : ids) {
            List<ResultLog.Arrival> results = resultsById.get(id);
            if (results == null) {
                lost++;
                continue;
            }
            switch (results.get(0).status()) {
                case "ok" -> ok++;
                case "degraded" -> degraded++;
                default -> error++;
            }
        }
        return new Counts(ids.size(), ok, degraded, error, lost);
    }

    /** The index of the fault whose window {@code sentNanos} falls in; -1 for the baseline. */
    private int window(long sentNanos) {
        int window = -1;
        for (int i = 0; i < outcomes.size(); i++) {
            if (sentNanos >= outcomes.get(i).atNanos() - WINDOW_LEAD.toNanos()) {
                window = i;
            }
        }
        return window;
    }
}
