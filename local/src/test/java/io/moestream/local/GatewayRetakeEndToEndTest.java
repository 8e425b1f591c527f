package io.moestream.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RemoveMembersFromConsumerGroupOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A gateway that dies after it took prompts but before it committed their offsets leaves them to its
 * successor, which takes them again. Here the gateway is stopped and its group's offset on a partition of
 * {@code layer-prompts} is put back to a prompt that already has its result, as a crash before the commit leaves
 * it; the gateway started again takes that prompt a second time, and no second result may come of it.
 */
@ExtendWith(SharedStack.class)
class GatewayRetakeEndToEndTest {

    @Test
    void aPromptTakenAgainByARestartedGatewayGetsNoSecondResult(LocalStack stack) throws Exception {
        try (PipelineClient client = new PipelineClient(stack);
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()))) {
            String group = stack.topics().prefix() + "gateway-prompts";
            String taken = "retaken-" + UUID.randomUUID();
            TopicPartition partition = new TopicPartition(stack.topics().layerPrompts(), 0);
            client.send(new ProducerRecord<>(partition.topic(), partition.partition(), taken,
                    PipelineClient.prompt(taken, PolicyEndToEndTest.PROMPT)));
            long offset = admin.listOffsets(Map.of(partition, OffsetSpec.latest())).partitionResult(partition).get()
                    .offset() - 1;
            assertThat(client.awaitResult(taken).status()).isEqualTo("ok");

            stack.stopGateway();
            // The stopped gateway is still a static member of the group; its offsets can be changed without it.
            admin.removeMembersFromConsumerGroup(group, new RemoveMembersFromConsumerGroupOptions()).all().get();
            admin.alterConsumerGroupOffsets(group, Map.of(partition, new OffsetAndMetadata(offset))).all().get();
            stack.startGateway();

            assertThat(client.awaitDeadLetter(taken)).contains("a request id gets one result");
            String after = "after-retake-" + UUID.randomUUID();
            client.sendPrompt(after, PolicyEndToEndTest.PROMPT);
            assertThat(client.awaitResult(after).status()).isEqualTo("ok");
            Map<String, Long> results = client.results().drain(Duration.ofSeconds(2)).stream()
                    .map(ConsumerRecord::key).filter(taken::equals)
                    .collect(Collectors.groupingBy(key -> key, Collectors.counting()));
            assertThat(results).as("results of the prompt taken again").isEmpty();
        }
    }
}
