package io.moestream.gateway;

import io.moestream.wire.BatchPart;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.TokenBatch;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.kafka.test.EmbeddedKafkaBroker;
import org.springframework.kafka.test.context.EmbeddedKafka;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A gateway stopped with a batch half reassembled, and a new one started on an empty state directory:
 * the new one restores the batch from the store's changelog and completes it. Each gateway runs as its
 * own application context, as local mode runs it.
 */
@EmbeddedKafka
class GatewayRestartTest {

    static final String PREFIX = "restart.";

    @Test
    void aHalfAssembledBatchSurvivesARestart(EmbeddedKafkaBroker broker) {
        KafkaProbe kafka = new KafkaProbe(broker.getBrokersAsString());
        RouterAndExperts routerAndExperts = new RouterAndExperts(TestModel.DIR, 1);
        TokenBatch batch;
        RouterAndExperts.Answer answer;
        byte[] last;
        try (ConfigurableApplicationContext first = start(broker)) {
            kafka.send(PREFIX + "layer-prompts", "restart-1", KafkaProbe.bytes("{\"tokens\": [3, 1, 4, 1, 5, 9, 2, 6], "
                    + "\"returnOutputs\": true}"));
            batch = kafka.batchesOf(PREFIX + "tokens", 1, Map.of("restart-1", 8)).get(0);
            answer = routerAndExperts.answer(batch, e -> true, 3);
            last = answer.parts().stream().filter(p -> BatchPart.fromBytes(p) instanceof ExpertRows).findFirst()
                    .orElseThrow();
            List<byte[]> early = answer.parts().stream().filter(p -> p != last).toList();
            kafka.send(PREFIX + "expert-outputs", batch.batchId(), early.toArray(byte[][]::new));

            String prefix = PendingBatch.partPrefix(batch.batchId());
            int[] stored = {0};
            assertThat(kafka.readUntil(PREFIX + "gateway-" + ReassemblyTopology.BATCH_PART_STORE + "-changelog", 1,
                    record -> new String(record.key(), StandardCharsets.UTF_8).startsWith(prefix)
                            && record.value() != null && ++stored[0] == early.size()))
                    .as("the parts store's changelog holds the early parts").isTrue();
        }
        try (ConfigurableApplicationContext second = start(broker)) {
            kafka.send(PREFIX + "expert-outputs", batch.batchId(), last);

            JsonNode result = kafka.jsonByKey(PREFIX + "layer-results", 1, Set.of("restart-1")).get("restart-1");
            assertThat(result.get("status").asString()).isEqualTo("ok");
            Results.assertOutputs(result, 8, answer.expected());
        }
    }

    private static ConfigurableApplicationContext start(EmbeddedKafkaBroker broker) {
        return StandaloneGateway.start(broker, PREFIX, "--moe.gateway.deadline-ms=60000");
    }
}
