package io.moestream.local;

import java.util.LinkedHashMap;
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

    private LocalLogging() {
    }

    /** Sets logging up as a Spring context would; a context that starts later finds it done. */
    static void initialize() {
        LoggingSystem system = LoggingSystem.get(LocalLogging.class.getClassLoader());
        system.beforeInitialize();
        system.initialize(new LoggingInitializationContext(new StandardEnvironment()), null, null);
        QUIET.forEach(system::setLogLevel);
    }

    /** The same levels as properties for each context, since each one applies its own levels again. */
    static Map<String, String> properties() {
        Map<String, String> properties = new LinkedHashMap<>();
        QUIET.forEach((logger, level) -> properties.put("logging.level." + logger, level.name()));
        return properties;
    }
}
