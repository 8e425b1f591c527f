package io.moestream.local;

import io.moestream.pipeline.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Waits until the pipeline answers: a context that has started has not yet joined its consumer
 * groups, so "ready" is a prompt sent to {@code layer-prompts} coming back {@code ok} on {@code layer-results}.
 * The prompt is one token (id 0, in every vocabulary) and is sent again now and then, in case a
 * service had not joined yet when an earlier one passed by or completed it {@code degraded}.
 */
final class WarmUp {

    private static final Logger LOG = LoggerFactory.getLogger(WarmUp.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration RESEND_EVERY = Duration.ofSeconds(5);

    private WarmUp() {
    }

    /** @throws IllegalStateException when no prompt completes {@code ok} within {@code timeout} */
    static void await(String bootstrapServers, Topics topics, Duration timeout) {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), new StringSerializer(),
                new StringSerializer());
             KafkaConsumer<String, String> results = new KafkaConsumer<>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                     ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                     new StringDeserializer(), new StringDeserializer())) {
            List<TopicPartition> partitions = results.partitionsFor(topics.layerResults()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            results.assign(partitions);
            results.seekToEnd(partitions);
            partitions.forEach(results::position);
            long deadline = System.nanoTime() + timeout.toNanos();
            String lastAnswer = "none";
            while (System.nanoTime() < deadline) {
                String id = "local-warm-up-" + UUID.randomUUID();
                producer.send(new ProducerRecord<>(topics.layerPrompts(), id,
                        "{\"id\": \"" + id + "\", \"tokens\": [0]}"));
                long resendAt = System.nanoTime() + RESEND_EVERY.toNanos();
                while (System.nanoTime() < Math.min(resendAt, deadline)) {
                    for (ConsumerRecord<String, String> result : results.poll(Duration.ofMillis(200))) {
                        JsonNode answer = JSON.readTree(result.value().getBytes(StandardCharsets.UTF_8));
                        if ("ok".equals(answer.path("status").asString())) {
                            return;
                        }
                        lastAnswer = result.value();
                        LOG.info("warm-up prompt came back {}; trying again", answer.path("status").asString());
                    }
                }
            }
            throw new IllegalStateException("the pipeline did not answer a prompt ok within " + timeout.toSeconds()
                    + " s; last answer: " + lastAnswer);
        }
    }
}
