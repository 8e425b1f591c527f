package io.moestream.expert.service;

import io.micrometer.core.instrument.MeterRegistry;
import io.moestream.pipeline.MoeSettings;
import io.moestream.pipeline.TopicSetup;
import io.moestream.service.InstanceId;
import io.moestream.service.MoeSettingsBinder;
import io.moestream.service.StaticMembership;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.kafka.autoconfigure.DefaultKafkaConsumerFactoryCustomizer;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.kafka.core.KafkaAdmin;
import org.springframework.kafka.core.KafkaTemplate;

/** Wires the service; every bean belongs to its context, so that one JVM can run a context per rank. */
@Configuration(proxyBeanMethods = false)
class ExpertServiceConfiguration {

    /**
     * How long a silent expert rank keeps its partitions, and so how long after a rank dies the router starts
     * routing around it (its ExpertAvailability): until then that rank's slots wait out the gateway's deadline.
     * Half the other services' {@link StaticMembership#SESSION_TIMEOUT}: a restarted expert is back in its
     * group well within it (ready 4-8 s after the restart on the 2-core build machines, from the class data
     * archive), and no state is restored on a rebalance. {@code spring.kafka.consumer.properties.session.timeout.ms}
     * overrides it.
     */
    static final Duration SESSION_TIMEOUT = Duration.ofSeconds(15);

    private static final Logger LOG = LoggerFactory.getLogger(ExpertServiceConfiguration.class);
    private static final Duration TOPIC_SETUP_TIMEOUT = Duration.ofSeconds(60);
    private static final String INSTANCE_ID = "moe.expert.instance-id";

    @Bean
    MoeSettings moeSettings(Environment environment) {
        return MoeSettingsBinder.bind(environment);
    }

    @Bean
    ExpertSettings expertSettings(Environment environment) {
        return Binder.get(environment).bindOrCreate("moe.expert", ExpertSettings.class);
    }

    /**
     * The dispatch consumer is a static member under {@code moe.expert.instance-id}, as in its transactional ids,
     * with a {@link #SESSION_TIMEOUT} of its own.
     */
    @Bean
    DefaultKafkaConsumerFactoryCustomizer staticMembership(Environment environment) {
        String instanceId = InstanceId.checked(INSTANCE_ID, environment.getRequiredProperty(INSTANCE_ID));
        return factory -> factory.updateConfigs(StaticMembership.of(factory.getConfigurationProperties(), instanceId,
                SESSION_TIMEOUT));
    }

    @Bean
    RankExperts rankExperts(MoeSettings moe, ExpertSettings expert) {
        RankExperts experts = RankExperts.load(moe, expert);
        LOG.info("rank {} hosts experts {} of MoE layers {} from {}", experts.rank(), experts.ids(), experts.layers(),
                moe.modelDir());
        return experts;
    }

    @Bean
    RankKernels rankKernels(RankExperts experts, ExpertSettings expert) {
        // ExpertKernels logs the choice and the fallback reason.
        return RankKernels.create(expert.backend(), experts, expert.threads());
    }

    @Bean
    ExpertMetrics expertMetrics(MeterRegistry registry, RankExperts experts, RankKernels kernels) {
        return new ExpertMetrics(registry, experts.rank(), kernels.status());
    }

    @Bean
    ExpertCompute expertCompute(RankKernels kernels, ExpertMetrics metrics) {
        return new ExpertCompute(kernels, metrics);
    }

    @Bean
    BackendHealthIndicator expertBackendHealthIndicator(RankKernels kernel, RankExperts experts) {
        return new BackendHealthIndicator(kernel, experts);
    }

    /** Created after the topics exist and have leaders, so its container never polls or produces before. */
    /** Sends the outputs of dense workers' dispatches, outside any transaction ({@link DenseDispatchLoop}). */
    @Bean(destroyMethod = "close")
    KafkaProducer<byte[], byte[]> replyProducer(KafkaProperties kafka) {
        Map<String, Object> config = kafka.buildProducerProperties();
        config.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.put(ProducerConfig.ACKS_CONFIG, "1");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        config.put(ProducerConfig.CLIENT_ID_CONFIG, "expert-replies");
        return new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Bean
    DispatchListener dispatchListener(MoeSettings moe, RankExperts experts, ExpertCompute compute,
                                      ExpertMetrics metrics, KafkaTemplate<byte[], byte[]> template, KafkaAdmin admin) {
        try (Admin client = Admin.create(admin.getConfigurationProperties())) {
            TopicSetup.ensure(client, moe.topics().all(experts.layout()), TOPIC_SETUP_TIMEOUT);
        }
        fencePredecessor(template);
        return new DispatchListener(moe.topics(), experts, moe.wireType(), compute, metrics, template);
    }

    /** Started after the dispatch listener, which makes sure the topics exist. */
    @Bean
    DenseDispatchLoop denseDispatchLoop(KafkaProperties kafka, MoeSettings moe, RankExperts experts,
                                        ExpertCompute compute, ExpertMetrics metrics,
                                        KafkaProducer<byte[], byte[]> replyProducer, DispatchListener dispatchListener,
                                        Environment environment) {
        Map<String, Object> config = kafka.buildConsumerProperties();
        config.put(ConsumerConfig.GROUP_ID_CONFIG, DenseDispatchLoop.groupId(moe.topics(), experts.rank()));
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, true);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "expert-r" + experts.rank() + "-dense");
        String instanceId = InstanceId.checked(INSTANCE_ID, environment.getRequiredProperty(INSTANCE_ID)) + "-dense";
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(StaticMembership.of(config, instanceId,
                SESSION_TIMEOUT), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        return new DenseDispatchLoop(consumer, replyProducer, moe.topics(), experts, compute, metrics, moe.wireType());
    }

    /**
     * A predecessor killed inside a transaction left its consumed offsets pending in that transaction: the
     * group's offsets stay "unstable", and the listener's first fetch of them waits, until the transaction
     * ends. The broker aborts it as soon as a producer with the same transactional id initialises, which
     * Spring otherwise does only at the first transaction, after that fetch: so one is initialised (and
     * cached for the listener) before the container starts.
     */
    private static void fencePredecessor(KafkaTemplate<byte[], byte[]> template) {
        long start = System.nanoTime();
        template.getProducerFactory().createProducer().close();
        LOG.info("transactional producer initialised in {} ms, fencing any predecessor's open transaction",
                (System.nanoTime() - start) / 1_000_000);
    }
}
