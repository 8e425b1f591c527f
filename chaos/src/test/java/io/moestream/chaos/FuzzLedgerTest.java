package io.moestream.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How dead letters account for the records sent, and the latency windows the fuzz phase is judged by. */
class FuzzLedgerTest {

    private final FuzzLedger ledger = new FuzzLedger();

    @Test
    void aDeadLetterAccountsForTheRecordAtItsPlaceOrUnderItsTraceKeyOnce() {
        FuzzCase undecodable = fuzzCase("tokens/random-bytes", "t.tokens", null, FuzzCase.Expect.DEAD_LETTER);
        FuzzCase forged = fuzzCase("tokens/unknown-request", "t.tokens", "fuzz-0-tokens-unknown-request",
                FuzzCase.Expect.DEAD_LETTER);
        FuzzCase control = fuzzCase("control/other-key", "t.control", null, FuzzCase.Expect.DEAD_LETTER);
        FuzzCase silent = fuzzCase("control/unknown-policy", "t.control", null, FuzzCase.Expect.DEAD_LETTER);
        ledger.written(undecodable, 0, 10);
        ledger.written(forged, 0, 11);
        ledger.written(control, 0, 3);
        ledger.written(silent, 0, 4);

        FuzzLedger.Account account = ledger.account(List.of(
                letter("router", "t.tokens", 0, 10, "fuzz-0-tokens-random-bytes", "not a moe-stream record"),
                letter("gateway", "t.gateway.requests", 1, -1, "fuzz-0-tokens-unknown-request", "no gateway took it"),
                letter("router", "t.control", 0, 3, "routes", "control key \"routes\" sets nothing"),
                letter("router", "t.control", 0, 3, "routes", "control key \"routes\" sets nothing"),
                letter("gateway", "t.layer-prompts", 0, 99, "user-typo", "malformed JSON"),
                letter("gateway", "t.expert-outputs", 0, 7, "fuzz-0-expert-unknown-batch", "no routing manifest")));

        assertThat(account.topics()).extracting(FuzzLedger.TopicFigures::kind).containsExactly("tokens", "control");
        FuzzLedger.TopicFigures tokens = account.topics().get(0);
        assertThat(tokens.deadLettered()).isEqualTo(2);
        assertThat(tokens.reasons().get("tokens/unknown-request").service()).isEqualTo("gateway");
        FuzzLedger.TopicFigures controls = account.topics().get(1);
        assertThat(controls.deadLettered()).isEqualTo(1);
        assertThat(controls.repeated()).isEqualTo(1);
        assertThat(controls.missing()).containsExactly("control/unknown-policy (routing): no dead letter");
        assertThat(account.unaccounted()).as("a fuzz key no record sent carries; not a user's dead letter")
                .containsExactly("fuzz-0-expert-unknown-batch: no routing manifest");
        assertThat(account.complete()).isFalse();
    }

    @Test
    void aRecordKafkaMustRefuseIsAccountedForByTheRefusal() {
        FuzzCase huge = fuzzCase("prompts/past-broker-limit", "t.layer-prompts", null,
                FuzzCase.Expect.REFUSED_BY_BROKER);
        FuzzCase tookIt = fuzzCase("control/null-key", "t.control", null, FuzzCase.Expect.REFUSED_BY_BROKER);
        FuzzCase lost = fuzzCase("prompts/empty-value", "t.layer-prompts", null, FuzzCase.Expect.DEAD_LETTER);
        ledger.refused(huge, new IllegalStateException("RecordTooLargeException"));
        ledger.written(tookIt, 0, 1);
        ledger.refused(lost, new IllegalStateException("TimeoutException"));

        FuzzLedger.Account account = ledger.account(List.of());

        assertThat(account.topics().get(0).refusedByBroker()).isEqualTo(1);
        assertThat(account.missing()).containsExactly(
                "prompts/empty-value (routing): not sent, java.lang.IllegalStateException: TimeoutException",
                "control/null-key (routing): Kafka took it");
    }

    @Test
    void latencyIsFromSendToFirstResultOverTheOkRequestsOfTheWindow() {
        long s = 1_000_000_000L;
        Map<String, Long> sent = Map.of("a", 0L, "b", s, "c", 2 * s, "d", 3 * s, "e", 10 * s);
        List<ResultLog.Arrival> results = List.of(arrival("a", "ok", 2 * s), arrival("b", "ok", 5 * s),
                arrival("c", "degraded", 3 * s), arrival("a", "error", 9 * s), arrival("e", "ok", 11 * s));

        FuzzFigures.Latency window = FuzzFigures.Latency.of(sent, results, 0, 4 * s);

        assertThat(window.requests()).isEqualTo(4);
        assertThat(window.ok()).isEqualTo(2);
        assertThat(window.p50()).isEqualTo(Duration.ofSeconds(2));
        assertThat(window.p99()).isEqualTo(Duration.ofSeconds(4));
        FuzzFigures figures = new FuzzFigures(ledger.account(List.of()), 1, 20, 25,
                FuzzFigures.Latency.of(sent, results, 10 * s, 11 * s), window);
        assertThat(figures.p50Ratio()).isEqualTo(2.0);
        assertThat(figures.p99Ratio()).isEqualTo(4.0);
        assertThat(figures.goodRequestsUnharmed()).isFalse();
    }

    private static FuzzCase fuzzCase(String name, String topic, String traceKey, FuzzCase.Expect expect) {
        return new FuzzCase(name, topic, null, "routing".getBytes(StandardCharsets.UTF_8), new byte[] {1}, "bad",
                traceKey, expect);
    }

    private static ResultLog.DeadLetter letter(String service, String topic, int partition, long offset, String key,
                                               String reason) {
        return new ResultLog.DeadLetter(service, topic, partition, offset, key, reason, 0);
    }

    private static ResultLog.Arrival arrival(String id, String status, long at) {
        return new ResultLog.Arrival(id, status, "", new byte[0], at);
    }
}
