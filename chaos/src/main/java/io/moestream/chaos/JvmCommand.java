package io.moestream.chaos;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command lines for the child JVMs: the JDK the harness runs on, a small fixed heap, the serial
 * collector and the C1 compiler only. Eight JVMs share two cores here; C2's compile threads and G1's
 * parallel workers would otherwise compete with the work being measured, and every restart would pay
 * for them again.
 */
final class JvmCommand {

    private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");
    /** What would configure a child behind the harness's back: the JVM's own options and the services' settings. */
    private static final Set<String> NOT_INHERITED_PREFIXES = Set.of("MOE_", "SPRING_", "SERVER_", "MANAGEMENT_",
            "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "KAFKA_");

    private JvmCommand() {
    }

    /** The JDK's launcher, the one the harness runs on. */
    static Path java() {
        return JAVA;
    }

    /** {@code java <flags> <extra> -jar <jar>}. */
    static List<String> jar(int heapMb, Path tmpDir, List<String> extra, Path jar) {
        List<String> command = base(heapMb, tmpDir);
        command.addAll(extra);
        command.add("-jar");
        command.add(jar.toString());
        return command;
    }

    /** {@code java <flags> <extra> -cp <classPath> <mainClass> <args>}. */
    static List<String> main(int heapMb, Path tmpDir, List<String> extra, String classPath, String mainClass,
                             String... args) {
        List<String> command = base(heapMb, tmpDir);
        command.addAll(extra);
        command.add("-cp");
        command.add(classPath);
        command.add(mainClass);
        command.addAll(List.of(args));
        return command;
    }

    /**
     * The environment a child starts from: the harness's own (PATH, HOME, locale, OpenBLAS's settings),
     * without anything that would configure the JVM or the services, as a container starts clean.
     */
    static Map<String, String> inheritedEnvironment() {
        Map<String, String> environment = new HashMap<>();
        System.getenv().forEach((name, value) -> {
            if (NOT_INHERITED_PREFIXES.stream().noneMatch(name::startsWith)) {
                environment.put(name, value);
            }
        });
        return environment;
    }

    private static List<String> base(int heapMb, Path tmpDir) {
        return new ArrayList<>(List.of(JAVA.toString(), "-Xmx" + heapMb + "m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-XX:+ExitOnOutOfMemoryError", "-Djava.io.tmpdir=" + tmpDir));
    }
}
