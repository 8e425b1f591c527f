package io.moestream.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A service as a process of its own, started from this JVM's class path with its settings on the command
 * line, as docker compose starts it from its jar: a test can then kill it with SIGKILL, which leaves what it
 * was doing (an open transaction, uncommitted offsets, a group membership) exactly as a crash does. Its
 * output goes to {@code <name>.log} in the given directory.
 */
final class ServiceProcess implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path log;

    private ServiceProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    static ServiceProcess start(String name, Class<?> main, Path logDir, Map<String, String> properties) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                        .toString(), "-Xmx384m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                main.getName()));
        properties.forEach((property, value) -> command.add("--" + property + "=" + value));
        Path log = logDir.resolve(name + ".log");
        try {
            return new ServiceProcess(name, new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(Redirect.to(log.toFile())).start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + e.getMessage(), e);
        }
    }

    /** SIGKILL: no shutdown hook runs, nothing is closed or committed. Returns once the process is gone. */
    void kill() {
        process.destroyForcibly();
        awaitExit(30);
    }

    /** For a failure message: which process, and where its output is. */
    @Override
    public String toString() {
        return name + " (" + (process.isAlive() ? "running" : "exited") + ", output in " + log + ")";
    }

    /** SIGTERM, then SIGKILL if it has not stopped within 30 s. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            if (!awaitExit(30)) {
                kill();
            }
        }
    }

    private boolean awaitExit(int seconds) {
        try {
            return process.waitFor(seconds, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + name + " stopped", e);
        }
    }
}
