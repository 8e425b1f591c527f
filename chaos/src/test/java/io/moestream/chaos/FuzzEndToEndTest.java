package io.moestream.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.moestream.local.LocalStack;
import io.moestream.local.ServicePorts;
import io.moestream.pipeline.MoeSettings;
import io.moestream.pipeline.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two rounds of the fuzz corpus through the whole pipeline on a real broker (local mode: the gateway, the router
 * and two expert services), with good prompts among them: every bad record ends on {@code dead-letter} once, with a
 * reason, and every good prompt comes back {@code ok}. Short gateway deadlines, so that the records refused only
 * once they have fit nowhere (rows without a manifest, outputs of a request no gateway took) are dead-lettered
 * within the test.
 */
class FuzzEndToEndTest {

    private static final long DEADLINE_MS = 8_000;
    private static final long REQUEST_TIMEOUT_MS = 16_000;
    private static final int MAX_PROMPT_TOKENS = 512;
    private static final Duration SETTLE = Duration.ofMillis(DEADLINE_MS + REQUEST_TIMEOUT_MS).plusSeconds(60);

    private static LocalStack stack;

    @BeforeAll
    static void start() {
        stack = LocalStack.builder()
                .brokerPort(0)
                .ports(ServicePorts.ANY)
                .settings(new MoeSettings(null, null, 0, 2, null, null, Map.of()))
                .property("moe.expert.backend", "java")
                .property("moe.gateway.deadline-ms", Long.toString(DEADLINE_MS))
                .property("moe.gateway.request-timeout-ms", Long.toString(REQUEST_TIMEOUT_MS))
                .property("moe.gateway.max-prompt-tokens", Integer.toString(MAX_PROMPT_TOKENS))
                .readyTimeout(Duration.ofSeconds(120))
                .start();
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void everyBadRecordIsDeadLetteredOnceWithAReasonAndGoodPromptsComeBackOk() {
        Topics topics = stack.topics();
        FuzzCorpus corpus = FuzzCorpus.forModel(topics, stack.settings().modelDir(), MAX_PROMPT_TOKENS, 7);
        FuzzLedger ledger = new FuzzLedger();
        List<String> good = new ArrayList<>();
        try (ResultLog log = ResultLog.layer(stack.bootstrapServers(), topics);
             FuzzSender sender = new FuzzSender(stack.bootstrapServers(), ledger);
             KafkaProducer<String, String> prompts = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()),
                     new StringSerializer(), new StringSerializer())) {
            List<FuzzCase> cases = new ArrayList<>(corpus.round(0));
            cases.addAll(corpus.round(1));
            for (int i = 0; i < cases.size(); i++) {
                sender.send(cases.get(i));
                if (i % 8 == 0) {
                    String id = "good-" + i;
                    good.add(id);
                    prompts.send(new ProducerRecord<>(topics.layerPrompts(), id, "{\"id\": \"" + id
                            + "\", \"prompt\": \"A good prompt among bad records, number " + i + ".\"}"));
                }
            }
            sender.flush();
            prompts.flush();

            FuzzLedger.Account account = awaitAccount(ledger, log, good);

            assertThat(account.missing()).as("bad records without their dead letter").isEmpty();
            assertThat(account.unaccounted()).as("dead letters of no record sent").isEmpty();
            assertThat(account.topics()).extracting(FuzzLedger.TopicFigures::kind)
                    .containsExactly("prompts", "control", "tokens", "expert", "outputs");
            assertThat(account.topics()).allSatisfy(t -> assertThat(t.repeated()).as(t.kind()).isZero());
            Set<String> refusable = cases.stream().filter(c -> c.expect() == FuzzCase.Expect.DEAD_LETTER)
                    .map(FuzzCase::name).collect(Collectors.toSet());
            assertThat(account.topics().stream().flatMap(t -> t.reasons().keySet().stream()))
                    .containsExactlyInAnyOrderElementsOf(refusable);
            Map<String, String> statuses = log.results().stream().collect(Collectors.toMap(ResultLog.Arrival::id,
                    ResultLog.Arrival::status, (first, second) -> first + "," + second));
            assertThat(good).allSatisfy(id -> assertThat(statuses.get(id)).as(id).isEqualTo("ok"));
            assertThat(statuses.keySet()).as("results of bad records")
                    .noneMatch(id -> id.startsWith(FuzzCorpus.KEY_PREFIX));
        }
    }

    /**
     * Waits until every good prompt has its result and every bad record its dead letter, or until the last of
     * them (outputs of a request no gateway took: the deadline, then the request time-out) is overdue.
     */
    private static FuzzLedger.Account awaitAccount(FuzzLedger ledger, ResultLog log, List<String> good) {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        FuzzLedger.Account account;
        do {
            Sleep.of(Duration.ofSeconds(1));
            account = ledger.account(log.deadLetters());
            Set<String> answered = log.results().stream().map(ResultLog.Arrival::id).collect(Collectors.toSet());
            if (account.complete() && answered.containsAll(good)) {
                // Anything doubled would follow its first dead letter closely.
                Sleep.of(Duration.ofSeconds(3));
                return ledger.account(log.deadLetters());
            }
        } while (System.nanoTime() < deadline);
        return account;
    }
}
