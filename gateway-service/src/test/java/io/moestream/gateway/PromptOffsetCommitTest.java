package io.moestream.gateway;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.context.EmbeddedKafka;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The gateway lets go of a prompt on the {@code layer-prompts} topic (commits its offset) only once the
 * token batch carrying it is in Kafka: a gateway killed in between would otherwise lose the prompt.
 * A long linger holds the batch back so that the window is seconds wide; the test fails, rather than
 * passes, if it never looks inside the window.
 */
@EmbeddedKafka
class PromptOffsetCommitTest {

    Admin admin;
    /** Each test's own topics and group: they share the broker. */
    String prefix;
    TopicPartition prompts;
    TopicPartition tokens;

    void use(EmbeddedKafkaBroker broker, String topicsPrefix) {
        admin = Admin.create(Map.of("bootstrap.servers", broker.getBrokersAsString()));
        prefix = topicsPrefix;
        prompts = new TopicPartition(prefix + "layer-prompts", 0);
        tokens = new TopicPartition(prefix + "tokens", 0);
    }

    @AfterEach
    void closeAdmin() {
        if (admin != null) {
            admin.close();
        }
    }

    @Test
    void aPromptIsCommittedOnlyAfterItsLingeringBatchIsSent(EmbeddedKafkaBroker broker) {
        use(broker, "commit.");
        try (ConfigurableApplicationContext gateway = start(broker, 8000)) {
            assertThat(committed()).as("nothing committed yet").isZero();
            new KafkaProbe(broker.getBrokersAsString()).send(prompts.topic(), "commit-1",
                    KafkaProbe.bytes("{\"tokens\": [3, 1, 4, 1, 5]}"));
            ResultCache results = gateway.getBean(ResultCache.class);
            boolean sawWindow = false;
            long deadline = System.nanoTime() + KafkaProbe.WAIT.toNanos();
            long batches = 0;
            while (batches == 0 && System.nanoTime() < deadline) {
                // Committed first: a commit seen here came before the batch count read next.
                long committed = committed();
                batches = endOffset(tokens);
                assertThat(committed == 0 || batches > 0)
                        .as("prompt committed (offset %d) before its batch was in Kafka", committed).isTrue();
                sawWindow |= results.get("commit-1") != null && committed == 0 && batches == 0;
                sleep();
            }
            assertThat(batches).as("the batch is sent after its linger").isEqualTo(1);
            assertThat(sawWindow).as("the prompt was seen accepted and its batch still lingering").isTrue();
            while (committed() == 0 && System.nanoTime() < deadline) {
                sleep();
            }
            assertThat(committed()).as("committed once the batch is acknowledged").isEqualTo(1);
        }
    }

    @Test
    void aStoppedGatewaySendsWhatLingersAndCommitsIt(EmbeddedKafkaBroker broker) {
        use(broker, "stop.");
        try (ConfigurableApplicationContext gateway = start(broker, 600_000)) {
            new KafkaProbe(broker.getBrokersAsString()).send(prompts.topic(), "commit-2",
                    KafkaProbe.bytes("{\"tokens\": [2, 7, 1, 8]}"));
            ResultCache results = gateway.getBean(ResultCache.class);
            long deadline = System.nanoTime() + KafkaProbe.WAIT.toNanos();
            while (results.get("commit-2") == null && System.nanoTime() < deadline) {
                sleep();
            }
            assertThat(results.get("commit-2")).as("accepted").isNotNull();
            assertThat(endOffset(tokens)).as("lingering, not sent").isZero();
        }
        assertThat(endOffset(tokens)).as("sent on stop").isEqualTo(1);
        assertThat(committed()).as("committed on stop: a restart does not read it again").isEqualTo(1);
    }

    private long committed() {
        String group = prefix + "gateway-prompts";
        try {
            OffsetAndMetadata offset = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get()
                    .get(prompts);
            return offset == null ? 0 : offset.offset();
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError("cannot read " + group + "'s offsets", e);
        }
    }

    private long endOffset(TopicPartition partition) {
        try {
            return admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition).get()
                    .offset();
        } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError("cannot read the end of " + partition, e);
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private ConfigurableApplicationContext start(EmbeddedKafkaBroker broker, long lingerMs) {
        return StandaloneGateway.start(broker, prefix, "--moe.gateway.linger-ms=" + lingerMs);
    }
}
