package io.moestream.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The services of {@code docker-compose.yml} and the environment compose gives each: the harness runs
 * the same jars with the same configuration, so that what it measures is what a deployment gets. YAML
 * merge keys ({@code <<: *moe-settings}) are resolved, and {@code ${VAR}}, {@code ${VAR:-default}} and
 * {@code ${VAR-default}} are interpolated from a given environment, as compose does from the shell.
 */
final class ComposeFile {

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?}|\\$\\$");

    /** A compose service: its name, image and resolved environment (unset variables left out). */
    record Service(String name, String image, Map<String, String> environment) {
    }

    private final Path file;
    private final Map<String, Service> services;

    private ComposeFile(Path file, Map<String, Service> services) {
        this.file = file;
        this.services = services;
    }

    /** @param shell the variables compose would see in the shell, for interpolation */
    static ComposeFile read(Path file, Function<String, String> shell) {
        Object root;
        try {
            root = new Yaml(new SafeConstructor(new LoaderOptions()))
                    .load(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + " is not valid YAML: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> top) || !(top.get("services") instanceof Map<?, ?> declared)) {
            throw new IllegalArgumentException(file + " has no services mapping");
        }
        Map<String, Service> services = new LinkedHashMap<>();
        declared.forEach((name, body) -> {
            if (!(body instanceof Map<?, ?> service)) {
                throw new IllegalArgumentException(file + ": service " + name + " is not a mapping");
            }
            String image = service.get("image") == null ? "" : interpolate(service.get("image").toString(), shell);
            services.put(name.toString(), new Service(name.toString(), image,
                    environment(file, name.toString(), service.get("environment"), shell)));
        });
        return new ComposeFile(file, services);
    }

    /** The services whose image is {@code moe-stream/<component>} (any tag), in the file's order. */
    List<Service> servicesOf(String component) {
        return services.values().stream().filter(s -> s.image().matches(".*/" + Pattern.quote(component) + "(:.*)?"))
                .toList();
    }

    Path file() {
        return file;
    }

    /**
     * Compose's two forms, a mapping or a list of {@code NAME=value}; a name without a value (null in
     * the mapping, no {@code =} in the list) is passed on from the shell only when set there.
     */
    private static Map<String, String> environment(Path file, String service, Object declared,
                                                   Function<String, String> shell) {
        Map<String, String> environment = new LinkedHashMap<>();
        if (declared == null) {
            return environment;
        }
        if (declared instanceof Map<?, ?> map) {
            map.forEach((name, value) -> put(environment, name.toString(), value == null ? null : value.toString(),
                    shell));
        } else if (declared instanceof List<?> list) {
            for (Object entry : list) {
                String text = entry.toString();
                int equals = text.indexOf('=');
                put(environment, equals < 0 ? text : text.substring(0, equals),
                        equals < 0 ? null : text.substring(equals + 1), shell);
            }
        } else {
            throw new IllegalArgumentException(file + ": environment of " + service
                    + " is neither a mapping nor a list");
        }
        return environment;
    }

    private static void put(Map<String, String> environment, String name, String value,
                            Function<String, String> shell) {
        String resolved = value == null ? shell.apply(name) : interpolate(value, shell);
        if (resolved != null) {
            environment.put(name, resolved);
        }
    }

    static String interpolate(String text, Function<String, String> shell) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement;
            if (m.group(1) == null) {
                replacement = "$";
            } else {
                String value = shell.apply(m.group(1));
                boolean useDefault = m.group(2) != null
                        && (value == null || (m.group(2).equals(":-") && value.isEmpty()));
                replacement = useDefault ? m.group(3) : value == null ? "" : value;
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }
}
