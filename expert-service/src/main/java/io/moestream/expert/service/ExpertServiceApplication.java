package io.moestream.expert.service;

import io.moestream.service.ContextReactorResources;
import java.io.IOException;
import java.util.Properties;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.annotation.Import;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.support.PropertiesLoaderUtils;

/**
 * The expert service: computes the dispatched rows of the experts of one rank ({@code moe.expert.rank}) and
 * publishes their outputs, exactly once.
 *
 * <p>Its defaults live in {@code expert-defaults.properties} next to this class rather than in a
 * classpath-root {@code application.properties}: local mode runs every service in one JVM, where the
 * services' root files would shadow each other. Start it through {@link #application()} so that they apply.
 */
@SpringBootApplication
@Import(ContextReactorResources.class)
public class ExpertServiceApplication {

    private static final String DEFAULTS = "io/moestream/expert/service/expert-defaults.properties";

    public static void main(String[] args) {
        application().run(args);
    }

    /**
     * A builder with this service's defaults as default properties: anything a caller adds with
     * {@code properties(...)}, the environment or the command line overrides them.
     */
    public static SpringApplicationBuilder application() {
        return new SpringApplicationBuilder(ExpertServiceApplication.class).main(ExpertServiceApplication.class)
                .properties(defaults());
    }

    private static Properties defaults() {
        try {
            return PropertiesLoaderUtils.loadProperties(new ClassPathResource(DEFAULTS));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + DEFAULTS, e);
        }
    }
}
