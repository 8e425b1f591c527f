package io.moestream.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A service stopped and started again while prompts keep coming: every request completes ok
 * exactly once, with the outputs of the in-process layer (a lost row would leave a request waiting
 * or degraded, a doubled one would change its outputs or its result count).
 */
@ExtendWith(SharedStack.class)
class ServiceRestartEndToEndTest {

    /** The service a test restarts: the expert service of one rank, or the router. */
    enum Restarted {
        EXPERT_SERVICE_OF_RANK_1 {
            @Override
            void stop(LocalStack stack) {
                stack.stopExpert(1);
            }

            @Override
            void start(LocalStack stack) {
                stack.startExpert(1);
            }
        },
        ROUTER {
            @Override
            void stop(LocalStack stack) {
                stack.stopRouter();
            }

            @Override
            void start(LocalStack stack) {
                stack.startRouter();
            }
        };

        abstract void stop(LocalStack stack);

        abstract void start(LocalStack stack);
    }

    private static final Map<String, Object> CONTROL = Map.of("policy", "token-drop", "capacity-factor", 1.0);
    private static final Duration SEND_EVERY = Duration.ofMillis(100);
    private static final int PROMPTS_AFTER_RESTART = 10;

    @ParameterizedTest
    @EnumSource(Restarted.class)
    void aRestartedServiceNeitherLosesNorDoublesAToken(Restarted restarted, LocalStack stack) throws Exception {
        try (PipelineClient client = new PipelineClient(stack)) {
            client.setRouting(CONTROL);
            client.firstRoutedUnder("token-drop", id -> {
                client.sendPrompt(id, PolicyEndToEndTest.PROMPT);
                return client.awaitResult(id);
            });
            OutputCheck check = new OutputCheck(client, new ReferenceLayer(stack.settings()),
                    OutputCheck.F32_TOLERANCE);

            List<String> ids = new ArrayList<>();
            AtomicBoolean sending = new AtomicBoolean(true);
            AtomicInteger sent = new AtomicInteger();
            CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
                while (sending.get()) {
                    String id = "restart-" + restarted.name().toLowerCase() + "-" + sent.get();
                    client.sendPrompt(id, PolicyEndToEndTest.PROMPT + " Prompt " + sent.get() + ".");
                    synchronized (ids) {
                        ids.add(id);
                    }
                    sent.incrementAndGet();
                    sleep(SEND_EVERY);
                }
            });
            awaitSent(sent, 5);
            restarted.stop(stack);
            sleep(Duration.ofSeconds(1));
            restarted.start(stack);
            awaitSent(sent, sent.get() + PROMPTS_AFTER_RESTART);
            sending.set(false);
            sender.get();

            for (String id : ids) {
                check.assertMatchesReference(client.awaitResult(id), CONTROL);
            }
            // The other services' HTTP servers must still answer after one service in the JVM stopped.
            String rest = "restart-" + restarted.name().toLowerCase() + "-rest";
            assertThat(client.postPrompt(rest, PolicyEndToEndTest.PROMPT)).isEqualTo(202);
            check.assertMatchesReference(client.getResult(rest), CONTROL);
            Map<String, Long> extra = client.results().drain(Duration.ofSeconds(2)).stream()
                    .map(ConsumerRecord::key).filter(ids::contains)
                    .collect(Collectors.groupingBy(Function.identity(), Collectors.counting()));
            assertThat(extra).as("results that came twice").isEmpty();
        }
    }

    private static void awaitSent(AtomicInteger sent, int count) {
        while (sent.get() < count) {
            sleep(SEND_EVERY);
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
