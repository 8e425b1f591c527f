package io.moestream.gateway;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.moestream.model.Checkpoint;
import io.moestream.model.ModelConfig;
import io.moestream.model.NamingFamily;
import io.moestream.model.SharedExpertKind;
import io.moestream.pipeline.MoeSettings;
import io.moestream.pipeline.TopicLayout;
import io.moestream.pipeline.TopicSetup;
import io.moestream.pipeline.WireSerdes;
import io.moestream.service.MoeSettingsBinder;
import io.moestream.service.StaticMembership;
import io.moestream.text.PromptEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The gateway's parts, all scoped to this application context so that local mode can run the gateway
 * next to other services in one JVM. Kafka clients take {@code spring.kafka.*} through Boot's
 * {@link KafkaProperties}.
 */
@Configuration(proxyBeanMethods = false)
class GatewayConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayConfiguration.class);
    private static final JsonMapper COMPLETION_JSON = JsonMapper.builder().build();

    @Bean
    MoeSettings moeSettings(Environment environment) {
        return MoeSettingsBinder.bind(environment);
    }

    @Bean
    GatewaySettings gatewaySettings(Environment environment) {
        return Binder.get(environment).bindOrCreate("moe.gateway", GatewaySettings.class);
    }

    @Bean
    ModelConfig modelConfig(MoeSettings settings) {
        return ModelConfig.read(settings.modelDir()).orElseThrow(() -> new IllegalStateException(
                "no " + ModelConfig.FILE + " in moe.model.dir " + settings.modelDir()));
    }

    @Bean
    PromptEncoder promptEncoder(MoeSettings settings, GatewaySettings gateway) {
        try (Checkpoint checkpoint = Checkpoint.open(settings.modelDir())) {
            return PromptEncoder.forModel(settings.modelDir(), checkpoint.tensor(NamingFamily.EMBED_TOKENS),
                    gateway.maxPromptTokens());
        }
    }

    /** Creates the missing topics and waits for their leaders before anything produces. */
    @Bean
    GatewayTopics gatewayTopics(MoeSettings settings, ModelConfig model, KafkaProperties kafka) {
        GatewayTopics topics = new GatewayTopics(settings.topics());
        TopicLayout layout = new TopicLayout(settings.ranks(), model.numExperts(),
                model.sharedExpert() == SharedExpertKind.NONE ? 0 : 1, 1);
        try (Admin admin = Admin.create(kafka.buildAdminProperties())) {
            TopicSetup.ensure(admin, topics.all(layout), Duration.ofSeconds(60));
        }
        return topics;
    }

    @Bean
    GatewayMetrics gatewayMetrics(MeterRegistry registry) {
        return new GatewayMetrics(registry);
    }

    @Bean
    DeadLetters deadLetters(GatewayTopics topics, GatewayMetrics metrics) {
        return new DeadLetters(topics.topics(), metrics);
    }

    @Bean(destroyMethod = "close")
    KafkaProducer<byte[], byte[]> gatewayProducer(KafkaProperties kafka, GatewayTopics topicsReady) {
        Map<String, Object> config = kafka.buildProducerProperties();
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** The producer's Kafka metrics; closed before the producer, which it depends on. */
    @Bean
    KafkaClientMetrics gatewayProducerMetrics(KafkaProducer<byte[], byte[]> gatewayProducer) {
        return new KafkaClientMetrics(gatewayProducer);
    }

    @Bean(destroyMethod = "shutdownNow")
    ScheduledExecutorService lingerTimer() {
        return Executors.newSingleThreadScheduledExecutor(run -> {
            Thread thread = new Thread(run, "gateway-linger");
            thread.setDaemon(true);
            return thread;
        });
    }

    @Bean(destroyMethod = "flushAll")
    TokenBatcher tokenBatcher(KafkaProducer<byte[], byte[]> producer, MoeSettings settings, GatewaySettings gateway,
                              GatewayTopics topics, PromptEncoder encoder, ScheduledExecutorService lingerTimer,
                              GatewayMetrics metrics) {
        return new TokenBatcher(producer, WireSerdes.tokenBatch(settings.wireType()).serializer(),
                topics.topics().tokens(), topics.requests(), gateway, settings.ranks(), encoder.hiddenSize(),
                lingerTimer, metrics);
    }

    @Bean
    ResultCache resultCache(GatewaySettings gateway) {
        return new ResultCache(gateway.resultCacheSize());
    }

    @Bean
    PromptIntake promptIntake(PromptEncoder encoder, TokenBatcher batcher, ResultCache results,
                              GatewayMetrics metrics) {
        return new PromptIntake(new PromptParser(encoder), batcher, results, metrics);
    }

    /**
     * The {@code layer-prompts} topic, shared by the gateway instances as one consumer group; not the
     * reassembly's group ({@code <prefix>gateway}, its application id), whose protocol differs.
     */
    @Bean
    PollingLoop promptsLoop(KafkaProperties kafka, MoeSettings settings, GatewayTopics topics, PromptIntake intake,
                            TokenBatcher batcher, KafkaProducer<byte[], byte[]> producer, DeadLetters deadLetters,
                            Environment environment) {
        Map<String, Object> config = StaticMembership.of(kafka.buildConsumerProperties(), environment);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, settings.topicsPrefix() + "gateway-prompts");
        // Names its metrics (lag on prompts) on the dashboards; Kafka would number it.
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "gateway-prompts");
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        String prompts = topics.topics().layerPrompts();
        return PollingLoop.committing("gateway-prompts", consumer, c -> c.subscribe(List.of(prompts)),
                new PromptsListener(intake, producer, deadLetters), () -> {
                    batcher.flushAll();
                    producer.flush();
                });
    }

    /**
     * Every instance reads all of {@code layer-results} from the start, without a group, so that the REST API
     * answers for requests whichever instance completed them (and after a restart, within retention).
     */
    @Bean
    PollingLoop resultsLoop(KafkaProperties kafka, GatewayTopics topics, ResultCache results) {
        Map<String, Object> config = withoutGroup(kafka, "gateway-results");
        // Reassembly writes results in transactions; an aborted one must never reach a client.
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        String topic = topics.topics().layerResults();
        return PollingLoop.reading("gateway-results", consumer, c -> {
            List<TopicPartition> partitions = c.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            c.assign(partitions);
            c.seekToBeginning(partitions);
        }, record -> {
            if (record.key() != null && record.value() != null) {
                results.complete(new String(record.key(), StandardCharsets.UTF_8),
                        new String(record.value(), StandardCharsets.UTF_8));
            }
        });
    }

    @Bean
    CompletionHub completionHub() {
        return new CompletionHub();
    }

    /**
     * Every instance reads the dense workers' tokens and results from the end, without a group: it answers the
     * completions it took, and ignores the others' ({@link CompletionHub}).
     */
    @Bean
    PollingLoop completionsLoop(KafkaProperties kafka, GatewayTopics topics, CompletionHub hub) {
        Map<String, Object> config = withoutGroup(kafka, "gateway-completions");
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        String stream = topics.topics().completionStream();
        String results = topics.topics().results();
        return PollingLoop.reading("gateway-completions", consumer, c -> {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(stream, results)) {
                c.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            c.assign(partitions);
            c.seekToEnd(partitions);
            partitions.forEach(c::position);
        }, record -> {
            if (record.key() == null || record.value() == null) {
                return;
            }
            String id = new String(record.key(), StandardCharsets.UTF_8);
            JsonNode event;
            try {
                event = COMPLETION_JSON.readTree(record.value());
            } catch (JacksonException e) {
                LOG.warn("{}-{}@{} is not JSON, skipped: {}", record.topic(), record.partition(), record.offset(),
                        e.getOriginalMessage());
                return;
            }
            if (record.topic().equals(results)) {
                hub.result(id, event);
            } else {
                hub.token(id, event);
            }
        });
    }

    @Bean
    ReassemblyStreams reassemblyStreams(KafkaProperties kafka, MoeSettings settings, GatewaySettings gateway,
                                        GatewayTopics topics, PromptEncoder encoder, DeadLetters deadLetters,
                                        GatewayMetrics metrics, Environment environment) {
        Properties config = new Properties();
        config.putAll(StaticMembership.of(kafka.buildStreamsProperties(), environment));
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, settings.topicsPrefix() + "gateway");
        config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        config.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
        config.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
        if (gateway.stateDir() != null) {
            config.put(StreamsConfig.STATE_DIR_CONFIG, gateway.stateDir().toString());
        }
        return new ReassemblyStreams(new KafkaStreams(ReassemblyTopology.build(topics.topics(), topics,
                encoder.hiddenSize(), gateway, deadLetters, metrics), config));
    }

    /** A consumer's configuration for a reader that assigns itself partitions and commits nothing. */
    private static Map<String, Object> withoutGroup(KafkaProperties kafka, String clientId) {
        Map<String, Object> config = kafka.buildConsumerProperties();
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return config;
    }
}
