package io.moestream.local;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingInitializationContext;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.core.env.StandardEnvironment;

/**
 * Logging for a JVM whose broker shares it with the services. The broker starts before any
 * Spring context has set logging up, and logs every partition it creates at INFO, as Kafka
 * clients log their whole configuration: quiet those, and start with Spring's format.
 */
final class LocalLogging {

    private static final Map<String, LogLevel> QUIET = Map.of(
            "kafka", LogLevel.WARN,
            "state.change.logger", LogLevel.WARN,
            "org.apache.kafka", LogLevel.WARN);

    private static final String LEVEL = "logging.level.";

    private LocalLogging() {
    }

    /**
     * Sets logging up as a Spring context would; a context that starts later finds it done. The
     * {@code logging.level.*} entries of {@code properties} (the ones the services will get) apply
     * from the start too, so that a caller who quiets the services also quiets the broker's start.
     */
    static void initialize(Map<String, String> properties) {
        LoggingSystem system = LoggingSystem.get(LocalLogging.class.getClassLoader());
        system.beforeInitialize();
        system.initialize(new LoggingInitializationContext(new StandardEnvironment()), null, null);
        QUIET.forEach(system::setLogLevel);
        properties.forEach((name, level) -> {
            if (name.startsWith(LEVEL)) {
                String logger = name.substring(LEVEL.length());
                system.setLogLevel(logger.equalsIgnoreCase("root") ? LoggingSystem.ROOT_LOGGER_NAME : logger,
                        LogLevel.valueOf(level.trim().toUpperCase(Locale.ROOT)));
            }
        });
    }

    /** The same levels as properties for each context, since each one applies its own levels again. */
    static Map<String, String> properties() {
        Map<String, String> properties = new LinkedHashMap<>();
        QUIET.forEach((logger, level) -> properties.put(LEVEL + logger, level.name()));
        return properties;
    }
}
