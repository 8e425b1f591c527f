package io.moestream.router;

import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.springframework.boot.kafka.autoconfigure.KafkaConnectionDetails;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;

/**
 * The plain Kafka clients the router needs besides its stream (topic set-up, the control
 * consumer, its dead letters), configured from {@code spring.kafka.*} like the stream itself.
 */
final class KafkaClients {

    private final KafkaProperties properties;
    private final KafkaConnectionDetails connection;

    KafkaClients(KafkaProperties properties, KafkaConnectionDetails connection) {
        this.properties = properties;
        this.connection = connection;
    }

    Admin admin() {
        return Admin.create(withServers(properties.buildAdminProperties(), connection.getAdmin()));
    }

    /** Reads committed records only, without a group: the caller assigns partitions itself. */
    KafkaConsumer<byte[], byte[]> consumer(String clientId) {
        Map<String, Object> config = withServers(properties.buildConsumerProperties(), connection.getConsumer());
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    KafkaProducer<byte[], byte[]> producer(String clientId) {
        Map<String, Object> config = withServers(properties.buildProducerProperties(), connection.getProducer());
        config.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** The brokers the dense workers connect to. */
    String bootstrapServers() {
        return String.join(",", connection.getConsumer().getBootstrapServers());
    }

    /** The stream's configuration from {@code spring.kafka.streams.*}; the caller adds what the router fixes. */
    Map<String, Object> streams() {
        return withServers(properties.buildStreamsProperties(), connection.getStreams());
    }

    private static Map<String, Object> withServers(Map<String, Object> config,
                                                   KafkaConnectionDetails.Configuration details) {
        Map<String, Object> copy = new HashMap<>(config);
        copy.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, String.join(",", details.getBootstrapServers()));
        return copy;
    }
}
