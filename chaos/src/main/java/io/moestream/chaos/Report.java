package io.moestream.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** The run's figures as the table the harness prints, and the same figures as JSON. */
final class Report {

    private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
    private static final Duration TIMELINE_BUCKET = Duration.ofSeconds(10);

    private final String title;
    private final RunFigures figures;
    private final OutputCheck.Figures outputs;
    private final Verdict verdict;
    private final Map<String, String> facts;
    private final FuzzFigures fuzz;

    /**
     * @param facts what the run was (form, rate, deployment, timings), in print order
     * @param fuzz the fuzz phase's figures, or null when it was skipped
     */
    Report(String title, RunFigures figures, OutputCheck.Figures outputs, Verdict verdict, Map<String, String> facts,
           FuzzFigures fuzz) {
        this.title = title;
        this.figures = figures;
        this.outputs = outputs;
        this.verdict = verdict;
        this.facts = new LinkedHashMap<>(facts);
        this.fuzz = fuzz;
    }

    String text() {
        StringBuilder out = new StringBuilder();
        out.append(title).append('\n');
        facts.forEach((name, value) -> out.append(String.format("  %-24s %s%n", name, value)));
        out.append('\n');
        out.append(String.format("%-3s %-28s %-20s %-16s %7s %7s %7s %6s %6s %6s %5s%n", "#", "fault", "victim",
                "mid-transaction", "ready s", "back s", "after", "ok", "degr.", "error", "lost"));
        out.append(String.format("%-3s %-28s %-20s %-16s %7s %7s %7s %6s %6s %6s %5s%n", "", "", "",
                "(uncommitted)", "", "(fault)", "restart", "", "", "", ""));
        RunFigures.Counts baseline = figures.baseline();
        out.append(String.format("%-3s %-28s %-20s %-16s %7s %7s %7s %6d %6d %6d %5d%n", "-", "none (baseline)", "", "",
                "", "", "", baseline.ok(), baseline.degraded(), baseline.error(), baseline.lost()));
        int n = 1;
        for (RunFigures.FaultFigures f : figures.faults()) {
            FaultInjector.Outcome o = f.outcome();
            String mid = o.fault().action() == Fault.Action.TERM ? "n/a (clean)"
                    : (o.midTransaction() ? "yes" : "NO") + (o.uncommitted() < 0 ? "" : " (" + o.uncommitted() + ")");
            out.append(String.format("%-3d %-28s %-20s %-16s %7s %7s %7s %6d %6d %6d %5d%n", n++, o.fault().label(),
                    o.victim(), mid, seconds(o.ready()), seconds(f.sinceFault()), seconds(f.sinceRestart()),
                    f.counts().ok(), f.counts().degraded(), f.counts().error(), f.counts().lost()));
            if (!o.note().isEmpty()) {
                out.append(String.format("    %s%n", o.note()));
            }
        }
        RunFigures.Counts total = figures.total();
        out.append(String.format("%-3s %-28s %-20s %-16s %7s %7s %7s %6d %6d %6d %5d%n%n", "", "all", "", "", "", "",
                "", total.ok(), total.degraded(), total.error(), total.lost()));
        out.append("timeline, by when prompts were sent:\n");
        out.append(String.format("%7s %6s %6s %6s %6s %5s  %s%n", "from s", "sent", "ok", "degr.", "error", "lost",
                "faults injected"));
        for (RunFigures.Bucket bucket : figures.timeline(TIMELINE_BUCKET)) {
            RunFigures.Counts c = bucket.counts();
            out.append(String.format("%7d %6d %6d %6d %6d %5d  %s%n", bucket.start().toSeconds(), c.requests(), c.ok(),
                    c.degraded(), c.error(), c.lost(), String.join(", ", bucket.faults())));
        }
        out.append('\n');
        Map<String, Long> reasons = figures.reasons();
        if (!reasons.isEmpty()) {
            out.append("most common reasons of degraded and error results:\n");
            reasons.forEach((reason, count) -> out.append(String.format("  %6d  %s%n", count, abbreviate(reason))));
            out.append('\n');
        }
        if (fuzz != null) {
            fuzzText(out);
        }
        out.append("checks (invariants, then the issue's goals):\n");
        for (Verdict.Check check : verdict.checks()) {
            out.append(String.format("  %s %-4s %-62s %s%n", check.goal() ? "goal" : "inv.", check.passed() ? "PASS"
                    : "FAIL", check.name(), check.figure()));
        }
        out.append(switch (verdict.outcome()) {
            case PASSED -> "\nRESULT: PASS\n";
            case GOALS_MISSED -> "\nRESULT: FAIL (goals missed; every invariant held)\n";
            case INVARIANT_BROKEN -> "\nRESULT: FAIL (an invariant broken)\n";
        });
        return out.toString();
    }

    /** Per topic what was sent and dead-lettered, the good requests' latency, and each case's first reason. */
    private void fuzzText(StringBuilder out) {
        out.append(String.format("fuzz phase: %.0f bad records/s for %.0f s, %d rounds of the corpus "
                + "(chaos/FUZZ-CASES.md)%n", fuzz.perSecond(), fuzz.seconds(), fuzz.rounds()));
        out.append(String.format("  %-10s %6s %8s %8s %8s %9s%n", "topic", "sent", "dead-l.", "refused", "missing",
                "repeated"));
        for (FuzzLedger.TopicFigures t : fuzz.account().topics()) {
            out.append(String.format("  %-10s %6d %8d %8d %8d %9d%n", t.kind(), t.sent(), t.deadLettered(),
                    t.refusedByBroker(), t.missing().size(), t.repeated()));
        }
        out.append(String.format("  good requests  %-9s %6s %6s %9s %9s%n", "", "sent", "ok", "p50 ms", "p99 ms"));
        out.append(latency("baseline", fuzz.baseline()));
        out.append(latency("fuzz phase", fuzz.during()));
        out.append(String.format("  ratio (phase / baseline): p50 x%.2f, p99 x%.2f%n", fuzz.p50Ratio(),
                fuzz.p99Ratio()));
        out.append("  first dead letter of each case (service: reason):\n");
        for (FuzzLedger.TopicFigures t : fuzz.account().topics()) {
            t.reasons().forEach((name, letter) -> out.append(String.format("    %-38s %s: %s%n", name,
                    letter.service(), abbreviate(letter.reason()))));
        }
        out.append('\n');
    }

    private static String latency(String window, FuzzFigures.Latency latency) {
        return String.format("  %-24s %6d %6d %9s %9s%n", window, latency.requests(), latency.ok(),
                millis(latency.p50()), millis(latency.p99()));
    }

    private static String millis(Duration duration) {
        return duration == null ? "-" : Long.toString(duration.toMillis());
    }

    String json() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("title", title);
        root.put("facts", facts);
        root.put("baseline", figures.baseline());
        List<Map<String, Object>> faults = new ArrayList<>();
        for (RunFigures.FaultFigures f : figures.faults()) {
            FaultInjector.Outcome o = f.outcome();
            Map<String, Object> fault = new LinkedHashMap<>();
            fault.put("fault", o.fault().label());
            fault.put("victim", o.victim());
            fault.put("transaction", o.transaction());
            fault.put("uncommittedAtFault", o.uncommitted());
            fault.put("midTransaction", o.midTransaction());
            fault.put("readySeconds", secondsOrNull(o.ready()));
            fault.put("progressAfterFaultSeconds", secondsOrNull(f.sinceFault()));
            fault.put("progressAfterRestartSeconds", secondsOrNull(f.sinceRestart()));
            fault.put("requests", f.counts());
            fault.put("note", o.note());
            faults.add(fault);
        }
        root.put("faults", faults);
        root.put("timeline", figures.timeline(TIMELINE_BUCKET).stream().map(b -> Map.of("fromSeconds",
                b.start().toSeconds(), "requests", b.counts(), "faults", b.faults())).toList());
        root.put("total", figures.total());
        root.put("restartFaultsOnly", figures.restartedOnly());
        root.put("duplicated", figures.duplicated());
        root.put("lost", figures.lost());
        root.put("reasons", figures.reasons());
        root.put("outputs", Map.of("checked", outputs.checked(), "corrupt", outputs.corrupt(), "unverifiable",
                outputs.unverifiable(), "tolerance", outputs.tolerance()));
        if (fuzz != null) {
            Map<String, Object> phase = new LinkedHashMap<>();
            phase.put("perSecond", fuzz.perSecond());
            phase.put("seconds", fuzz.seconds());
            phase.put("rounds", fuzz.rounds());
            phase.put("topics", fuzz.account().topics());
            phase.put("unaccounted", fuzz.account().unaccounted());
            phase.put("baseline", fuzz.baseline());
            phase.put("during", fuzz.during());
            phase.put("p50Ratio", fuzz.p50Ratio());
            phase.put("p99Ratio", fuzz.p99Ratio());
            root.put("fuzz", phase);
        }
        root.put("checks", verdict.checks());
        root.put("passed", verdict.passed());
        root.put("outcome", verdict.outcome());
        return JSON.writeValueAsString(root);
    }

    private static String seconds(Duration duration) {
        return duration == null ? "-" : String.format("%.1f", duration.toMillis() / 1000.0);
    }

    private static Double secondsOrNull(Duration duration) {
        return duration == null ? null : duration.toMillis() / 1000.0;
    }

    private static String abbreviate(String text) {
        return text.length() <= 140 ? text : text.substring(0, 137) + "...";
    }
}
