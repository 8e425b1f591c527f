package io.moestream.service;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.regex.Pattern;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.env.MapPropertySource;

/**
 * {@code moe.instance-id}: this process's name among the instances of its service, the same across its
 * restarts. The Kafka clients take it as their static group membership ({@code group.instance.id}, see
 * {@link StaticMembership}) and the expert service puts it in its transactional ids, so that a process
 * restarted after a crash gets its partitions back at once and fences its predecessor's open transaction.
 *
 * <p>Unset, it is the host name: the same across restarts of a process, a container or a pod, and different
 * between pods. Two instances of one service (or of one expert rank) on one host must each be given their
 * own; two that share one fence each other. As an {@link EnvironmentPostProcessor} it puts that default
 * into every service's environment, below everything else, so that property files can name
 * {@code ${moe.instance-id}}.
 */
public final class InstanceId implements EnvironmentPostProcessor {

    public static final String PROPERTY = "moe.instance-id";

    /** What Kafka accepts in a {@code group.instance.id}. */
    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]{1,200}");

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!environment.containsProperty(PROPERTY)) {
            environment.getPropertySources().addLast(new MapPropertySource("moeInstanceIdDefault",
                    Map.of(PROPERTY, hostName())));
        }
    }

    /**
     * The configured id, or the host name.
     *
     * @throws IllegalArgumentException for an id Kafka would refuse
     */
    public static String of(Environment environment) {
        return checked(PROPERTY, environment.getProperty(PROPERTY, hostName()));
    }

    /**
     * {@code id}, the value of {@code property}, when Kafka accepts it as a group instance id.
     *
     * @throws IllegalArgumentException naming the property otherwise
     */
    public static String checked(String property, String id) {
        if (id == null || !LEGAL.matcher(id).matches()) {
            throw new IllegalArgumentException(property + " '" + id + "' must be 1 to 200 of the characters"
                    + " a-z, A-Z, 0-9, '.', '_' and '-'");
        }
        return id;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            String fromShell = System.getenv("HOSTNAME");
            return fromShell == null || fromShell.isBlank() ? "localhost" : fromShell;
        }
    }
}
