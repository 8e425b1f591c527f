package io.moestream.chaos;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * One service of the pipeline as its own JVM from its {@code *-exec.jar}: its role, the process, and
 * its readiness probe ({@code /actuator/health/readiness}, which compose's
 * {@code MANAGEMENT_ENDPOINT_HEALTH_PROBES_ENABLED} turns on).
 */
final class PipelineService implements AutoCloseable {

    /** What a service does in the pipeline; the faults pick their victims by it. */
    enum Role {
        GATEWAY("gateway-service"), ROUTER("router-service"), EXPERT("expert-service");

        private final String component;

        Role(String component) {
            this.component = component;
        }

        /** The image and module name: {@code moe-stream/<component>}, {@code <component>/target/...-exec.jar}. */
        String component() {
            return component;
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Role role;
    private final int rank;
    private final int port;
    private final Map<String, String> environment;
    private final ChildProcess process;

    /**
     * @param rank the expert rank ({@code MOE_EXPERT_RANK}); -1 for the gateway and the router
     * @param environment what compose gives the service, with the harness's host-side overrides
     */
    PipelineService(Role role, int rank, int port, Map<String, String> environment, ChildProcess process) {
        this.role = role;
        this.rank = rank;
        this.port = port;
        this.environment = Map.copyOf(environment);
        this.process = process;
    }

    String name() {
        return process.name();
    }

    Role role() {
        return role;
    }

    int rank() {
        return rank;
    }

    Map<String, String> environment() {
        return environment;
    }

    ChildProcess process() {
        return process;
    }

    boolean ready() {
        if (!process.alive()) {
            return false;
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                + "/actuator/health/readiness")).timeout(Duration.ofSeconds(2)).GET().build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while probing " + name(), e);
        }
    }

    /** Waits until the service reports ready; returns how long that took. */
    Duration awaitReady(Duration timeout) {
        return KafkaCluster.await(() -> {
            if (!process.alive()) {
                throw new IllegalStateException(name() + " exited while starting; see " + process.log());
            }
            return ready();
        }, timeout, name() + " to be ready");
    }

    @Override
    public void close() {
        process.close();
    }
}
