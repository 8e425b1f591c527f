package io.moestream.chaos;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The fuzz records sent, where each landed, and which dead letters account for them. A dead letter accounts for a
 * record when it names the record's topic, partition and offset (the service that read it refused it), or when its
 * key is the record's trace key (a service further down refused what the record became). Thread-safe: the
 * producer's callbacks record the sends.
 */
final class FuzzLedger {

    /** A case as the producer left it: written at a partition and offset, or refused with the producer's error. */
    record Sent(FuzzCase fuzzCase, int partition, long offset, String refusal) {

        boolean written() {
            return refusal == null;
        }
    }

    /** One dead letter of a case: the first one that accounts for it. */
    record Letter(String service, String reason) {
    }

    /**
     * The figures of one kind of topic.
     *
     * @param sent records handed to the producer
     * @param refusedByBroker those Kafka refused, as expected of them
     * @param deadLettered records with their dead letter
     * @param missing cases (by name, with their round's key) that should have one and have none, or that Kafka
     *        should have refused and took, or that Kafka refused unexpectedly
     * @param repeated dead letters past the first for a record (a router re-reading {@code control} after a restart)
     * @param reasons per case name, the first dead letter of its first round that has one
     */
    record TopicFigures(String kind, int sent, int refusedByBroker, int deadLettered, List<String> missing,
                        int repeated, Map<String, Letter> reasons) {
    }

    /** @param unaccounted dead letters with a fuzz key that no record sent accounts for */
    record Account(List<TopicFigures> topics, List<String> unaccounted) {

        int sent() {
            return topics.stream().mapToInt(TopicFigures::sent).sum();
        }

        List<String> missing() {
            return topics.stream().flatMap(t -> t.missing().stream()).toList();
        }

        /** Every record dead-lettered with a reason or refused by Kafka as expected, and nothing else. */
        boolean complete() {
            return missing().isEmpty() && unaccounted.isEmpty();
        }
    }

    private final List<Sent> sent = Collections.synchronizedList(new ArrayList<>());

    void written(FuzzCase fuzzCase, int partition, long offset) {
        sent.add(new Sent(fuzzCase, partition, offset, null));
    }

    void refused(FuzzCase fuzzCase, Exception error) {
        sent.add(new Sent(fuzzCase, -1, -1, error.toString()));
    }

    List<Sent> sent() {
        synchronized (sent) {
            return List.copyOf(sent);
        }
    }

    /** What the dead letters read so far say about the records sent so far. */
    Account account(List<ResultLog.DeadLetter> letters) {
        List<Sent> all = sent();
        Map<String, Sent> byPlace = new HashMap<>();
        Map<String, Sent> byTraceKey = new HashMap<>();
        for (Sent s : all) {
            if (s.written()) {
                byPlace.put(place(s.fuzzCase().topic(), s.partition(), s.offset()), s);
                if (s.fuzzCase().traceKey() != null) {
                    byTraceKey.put(s.fuzzCase().traceKey(), s);
                }
            }
        }
        Map<Sent, Letter> first = new HashMap<>();
        Map<String, Integer> repeated = new HashMap<>();
        List<String> unaccounted = new ArrayList<>();
        for (ResultLog.DeadLetter letter : letters) {
            Sent match = byPlace.get(place(letter.sourceTopic(), letter.partition(), letter.offset()));
            if (match == null && letter.key() != null) {
                match = byTraceKey.get(letter.key());
            }
            if (match == null) {
                if (letter.key() != null && letter.key().startsWith(FuzzCorpus.KEY_PREFIX)) {
                    unaccounted.add(letter.key() + ": " + letter.reason());
                }
            } else if (first.putIfAbsent(match, new Letter(letter.service(), letter.reason())) != null) {
                repeated.merge(match.fuzzCase().kind(), 1, Integer::sum);
            }
        }
        Map<String, List<Sent>> byKind = new LinkedHashMap<>();
        all.forEach(s -> byKind.computeIfAbsent(s.fuzzCase().kind(), k -> new ArrayList<>()).add(s));
        List<TopicFigures> figures = new ArrayList<>();
        byKind.forEach((kind, cases) -> figures.add(figures(kind, cases, first, repeated.getOrDefault(kind, 0))));
        return new Account(figures, unaccounted);
    }

    private static TopicFigures figures(String kind, List<Sent> cases, Map<Sent, Letter> first, int repeated) {
        int refusedByBroker = 0;
        int deadLettered = 0;
        List<String> missing = new ArrayList<>();
        Map<String, Letter> reasons = new TreeMap<>();
        for (Sent s : cases) {
            FuzzCase c = s.fuzzCase();
            String label = c.name() + " (" + (c.key() == null ? "no key" : new String(c.key(), StandardCharsets.UTF_8))
                    + ")";
            if (c.expect() == FuzzCase.Expect.REFUSED_BY_BROKER) {
                if (s.written()) {
                    missing.add(label + ": Kafka took it");
                } else {
                    refusedByBroker++;
                }
            } else if (!s.written()) {
                missing.add(label + ": not sent, " + s.refusal());
            } else {
                Letter letter = first.get(s);
                if (letter == null || letter.reason().isBlank()) {
                    missing.add(label + (letter == null ? ": no dead letter" : ": a dead letter without a reason"));
                } else {
                    deadLettered++;
                    reasons.putIfAbsent(c.name(), letter);
                }
            }
        }
        return new TopicFigures(kind, cases.size(), refusedByBroker, deadLettered, List.copyOf(missing), repeated,
                reasons);
    }

    private static String place(String topic, int partition, long offset) {
        return topic + "-" + partition + "@" + offset;
    }
}
