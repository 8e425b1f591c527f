package io.moestream.router;

import io.micrometer.core.instrument.MeterRegistry;
import io.moestream.decoder.JavaBackend;
import io.moestream.layer.MoeLayers;
import io.moestream.model.MoeLayerWeights;
import io.moestream.pipeline.MoeSettings;
import io.moestream.pipeline.RoutingSettings;
import io.moestream.pipeline.TopicLayout;
import io.moestream.pipeline.TopicSetup;
import io.moestream.pipeline.Topics;
import io.moestream.router.worker.DenseWorkerPool;
import io.moestream.service.InstanceId;
import io.moestream.service.MoeSettingsBinder;
import io.moestream.service.StaticMembership;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.KStream;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.kafka.autoconfigure.KafkaConnectionDetails;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.kafka.annotation.EnableKafkaStreams;
import org.springframework.kafka.annotation.KafkaStreamsDefaultConfiguration;
import org.springframework.kafka.config.KafkaStreamsConfiguration;
import org.springframework.kafka.config.StreamsBuilderFactoryBeanConfigurer;

/** Wires the router: model gate, live routing, topics, the exactly-once stream and the control listener. */
@Configuration(proxyBeanMethods = false)
@EnableKafkaStreams
class RouterConfiguration {

    private static final Duration KAFKA_SETUP_TIMEOUT = Duration.ofSeconds(30);
    /** A step waits this long for its experts, then runs again: longer than an expert service's restart. */
    private static final Duration DENSE_WORKER_EXPERT_DEADLINE = Duration.ofSeconds(30);

    @Bean
    RouterProperties routerProperties(Environment environment) {
        return RouterProperties.bind(environment);
    }

    @Bean
    MoeSettings moeSettings(Environment environment) {
        return MoeSettingsBinder.bind(environment);
    }

    @Bean
    MoeLayerWeights routerWeights(MoeSettings settings) {
        return RouterModel.load(settings);
    }

    @Bean
    BatchRouter batchRouter(MoeLayerWeights weights) {
        return new BatchRouter(weights);
    }

    @Bean
    LiveRouting liveRouting(MoeLayerWeights weights, MoeSettings settings) {
        return new LiveRouting(RoutingSettings.apply(MoeLayers.defaultRouting(weights), settings.routing()),
                settings.placement(weights.numExperts()));
    }

    @Bean
    RouterMetrics routerMetrics(MeterRegistry registry, BatchRouter router, LiveRouting live,
                                ExpertAvailability availability) {
        return new RouterMetrics(registry, router.experts(), live, availability);
    }

    @Bean
    ExpertAvailability expertAvailability(KafkaClients clients, MoeSettings settings, BatchRouter router) {
        return new ExpertAvailability(clients, settings.topics(), settings.placement(router.experts()));
    }

    @Bean
    KafkaClients kafkaClients(KafkaProperties properties, KafkaConnectionDetails connection) {
        return new KafkaClients(properties, connection);
    }

    /** Handed out only once every topic of the deployment exists with its leaders, so nothing produces too early. */
    @Bean
    Topics topics(MoeSettings settings, RouterProperties properties, BatchRouter router, KafkaClients clients) {
        Topics topics = settings.topics();
        TopicLayout layout = new TopicLayout(settings.ranks(), router.experts(), router.sharedExperts(),
                properties.expertReplicas());
        try (Admin admin = clients.admin()) {
            TopicSetup.ensure(admin, topics.all(layout), KAFKA_SETUP_TIMEOUT);
        }
        return topics;
    }

    @Bean(name = KafkaStreamsDefaultConfiguration.DEFAULT_STREAMS_CONFIG_BEAN_NAME)
    KafkaStreamsConfiguration routerStreamsConfig(KafkaClients clients, Topics topics, Environment environment) {
        Map<String, Object> config = StaticMembership.of(clients.streams(), environment);
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, topics.prefix() + "router");
        config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        return new KafkaStreamsConfiguration(config);
    }

    /**
     * A router stopped on purpose hands its partitions to the other instances at once; one that crashed
     * keeps them, by static membership, until it is back or its session times out.
     */
    @Bean
    StreamsBuilderFactoryBeanConfigurer leaveGroupOnClose() {
        return factory -> factory.setLeaveGroupOnClose(true);
    }

    @Bean
    KStream<byte[], Outgoing> routerStream(StreamsBuilder builder, Topics topics, BatchRouter router,
                                           LiveRouting live, MoeSettings settings, RouterProperties properties,
                                           RouterMetrics metrics, ExpertAvailability availability) {
        double traceSampleRate = properties.traceSampleRate();
        return RouterTopology.build(builder, topics, () -> new DispatchProcessor(router, live, availability, topics,
                settings.wireType(), traceSampleRate, metrics));
    }

    /**
     * The dense workers, one per source rank, serving whole models from {@code prompts} under the live
     * routing (docs/PIPELINE.md, "Whole models"). Created after the topics exist; {@code moe.router.dense-workers=false}
     * leaves them out, for a checkpoint that holds MoE layers only.
     */
    @Bean(destroyMethod = "close")
    @ConditionalOnProperty(name = "moe.router.dense-workers", havingValue = "true", matchIfMissing = true)
    DenseWorkerPool denseWorkers(KafkaClients clients, Topics topicsReady, MoeSettings settings, LiveRouting live,
                                 ExpertAvailability availability, MeterRegistry registry, Environment environment) {
        // The single-layer groups' view of the expert services stands for the dense loops': both run in one process.
        return DenseWorkerPool.start(new DenseWorkerPool.Options(clients.bootstrapServers(), settings,
                InstanceId.of(environment), engine -> () -> live.current().config(), availability::unavailable,
                DENSE_WORKER_EXPERT_DEADLINE,
                environment.getProperty("moe.router.max-prompt-tokens", Integer.class, 4096),
                environment.getProperty("moe.router.max-running", Integer.class, 64)), JavaBackend::new, registry);
    }

    @Bean
    ControlListener controlListener(KafkaClients clients, Topics topics, LiveRouting live, RouterMetrics metrics) {
        return new ControlListener(clients, topics, live, metrics, KAFKA_SETUP_TIMEOUT);
    }
}
