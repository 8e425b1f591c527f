package io.moestream.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.moestream.pipeline.TopicLayout;
import io.moestream.pipeline.TopicSetup;
import io.moestream.pipeline.Topics;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class LocalBrokerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void servesTopicsCreatedByTopicSetupAndRemovesItsTemporaryData() throws Exception {
        Path data;
        try (LocalBroker broker = new LocalBroker(0).start()) {
            data = broker.dataDir();
            assertThat(broker.port()).isPositive();
            assertThat(broker.bootstrapServers()).isEqualTo("localhost:" + broker.port());
            roundTrip(broker.bootstrapServers(), new Topics("t1."));
        }
        assertThat(data).doesNotExist();
    }

    @Test
    void startsAgainOnTheSameFixedPortAndKeepsAGivenDataDirectory() throws Exception {
        int port = freePort();
        Path data = Files.createTempDirectory("local-broker-test-");
        try {
            try (LocalBroker first = new LocalBroker(port, data).start()) {
                roundTrip(first.bootstrapServers(), new Topics("first."));
            }
            assertThat(data).isNotEmptyDirectory();
            try (LocalBroker second = new LocalBroker(port, data).start()) {
                assertThat(second.bootstrapServers()).isEqualTo("localhost:" + port);
                try (Admin admin = admin(second.bootstrapServers())) {
                    assertThat(admin.listTopics().names().get()).contains("first.prompts");
                }
                roundTrip(second.bootstrapServers(), new Topics("second."));
            }
        } finally {
            try (var files = Files.walk(data)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
        }
    }

    /** Creates a deployment's topics and sends one record through the prompts topic. */
    private static void roundTrip(String bootstrap, Topics topics) {
        List<NewTopic> all = topics.all(new TopicLayout(2, 2, 1, 1));
        try (Admin admin = admin(bootstrap)) {
            TopicSetup.ensure(admin, all, TIMEOUT);
            assertThat(admin.listTopics().names().get()).containsAll(all.stream().map(NewTopic::name).toList());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topics.prompts(), 1, "r1", "{\"id\": \"r1\", \"prompt\": \"hi\"}"))
                    .get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "test",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topics.prompts()));
            List<ConsumerRecord<String, String>> received = new ArrayList<>();
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (received.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(received::add);
            }
            assertThat(received).singleElement().satisfies(record -> {
                assertThat(record.key()).isEqualTo("r1");
                assertThat(record.partition()).isEqualTo(1);
                assertThat(record.value()).contains("\"hi\"");
            });
        }
    }

    private static Admin admin(String bootstrap) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
