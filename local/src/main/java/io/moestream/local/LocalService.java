package io.moestream.local;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * One service of a local stack: its own Spring application context, with its own configuration,
 * HTTP port, Kafka clients and metrics registry, as if it ran as a process of its own.
 *
 * <p>The settings are passed as command-line arguments, the property source Spring ranks highest,
 * so that the service's own defaults and the environment of the shell that started local mode
 * (a {@code SPRING_KAFKA_BOOTSTRAP_SERVERS} meant for another cluster) cannot override them.
 */
final class LocalService implements AutoCloseable {

    private final String name;
    private final Class<?> main;
    private final Supplier<SpringApplication> application;
    private final Map<String, String> properties;
    private ConfigurableApplicationContext context;

    /**
     * @param main the service's main class, which its log lines name
     * @param application the service's application as its own {@code main} builds it, with its defaults
     * @param properties every setting of this instance; {@code spring.application.name} is {@code name}
     */
    LocalService(String name, Class<?> main, Supplier<SpringApplication> application, Map<String, String> properties) {
        this.name = name;
        this.main = main;
        this.application = application;
        this.properties = new LinkedHashMap<>(properties);
        this.properties.put("spring.application.name", name);
    }

    String name() {
        return name;
    }

    /** Starts the context; returns once it is refreshed and its web server listens. */
    synchronized void start() {
        if (context != null) {
            throw new IllegalStateException(name + " is already running");
        }
        String[] args = properties.entrySet().stream().map(p -> "--" + p.getKey() + "=" + p.getValue())
                .toArray(String[]::new);
        SpringApplication app = application.get();
        // Otherwise Spring takes the class whose main method started the JVM: the CLI's.
        app.setMainApplicationClass(main);
        context = app.run(args);
    }

    boolean running() {
        return context != null && context.isActive();
    }

    /** The port the web server listens on, which differs from {@code server.port} when that is 0. */
    int port() {
        if (context == null) {
            throw new IllegalStateException(name + " is not running");
        }
        return context.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
    }

    String url() {
        return "http://localhost:" + port();
    }

    @Override
    public synchronized void close() {
        if (context != null) {
            try {
                context.close();
            } finally {
                context = null;
            }
        }
    }
}
