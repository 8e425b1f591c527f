package io.moestream.local;

import io.moestream.pipeline.MoeSettings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One local stack for every end-to-end test class of the run, since starting the broker and four
 * Spring contexts is most of the suite's time; JUnit closes it after the last test. The stack runs
 * on free ports, two ranks (so rectify-ir has a rank to stay on and an expert service can restart
 * while the other works), capacity factor 1 (so the capacity policies drop and re-route), the
 * Java expert kernel (the reference the outputs are checked against), and steps larger than any
 * test prompt, so that one prompt is one batch, as in the in-process reference.
 */
final class SharedStack implements ParameterResolver {

    static final int RANKS = 2;
    static final int MAX_TOKENS_PER_STEP = 128;
    static final Map<String, String> CONFIGURED_ROUTING = Map.of("capacity-factor", "1.0");

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedStack.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == LocalStack.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE).computeIfAbsent(LocalStack.class, type -> start(),
                LocalStack.class);
    }

    private static LocalStack start() {
        return builder(new MoeSettings(null, null, 0, RANKS, null, null, CONFIGURED_ROUTING)).start();
    }

    /**
     * A stack as the end-to-end tests run it, on {@code settings}: free ports, the Java expert
     * kernel, one prompt per step, deadlines that a restarting service cannot miss.
     */
    static LocalStack.Builder builder(MoeSettings settings) {
        return LocalStack.builder()
                .brokerPort(0)
                .ports(ServicePorts.ANY)
                .settings(settings)
                .property("moe.expert.backend", "java")
                .property("moe.gateway.max-tokens-per-step", Integer.toString(MAX_TOKENS_PER_STEP))
                // An expert service restarting on two busy cores must not make its batches degraded.
                .property("moe.gateway.deadline-ms", "60000")
                .readyTimeout(Duration.ofSeconds(90));
    }
}
