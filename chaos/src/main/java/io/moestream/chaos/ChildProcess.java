package io.moestream.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One process the harness runs (a broker or a service JVM): started, signalled and started again with
 * the same command, environment and log file, as a supervisor (docker compose's restart policy, a
 * Kubernetes kubelet) restarts a container.
 */
final class ChildProcess implements AutoCloseable {

    /** The signals the faults send, by their {@code kill -s} names. */
    enum Signal { KILL, TERM, STOP, CONT }

    private final String name;
    private final List<String> command;
    private final Map<String, String> environment;
    private final Path log;
    private Process process;
    private int starts;

    /**
     * @param environment the process's whole environment: nothing of the harness's own is inherited
     * @param log where standard output and error go, appended across restarts
     */
    ChildProcess(String name, List<String> command, Map<String, String> environment, Path log) {
        this.name = name;
        this.command = List.copyOf(command);
        this.environment = Map.copyOf(environment);
        this.log = log;
    }

    String name() {
        return name;
    }

    Path log() {
        return log;
    }

    synchronized void start() {
        if (alive()) {
            throw new IllegalStateException(name + " is already running as pid " + process.pid());
        }
        starts++;
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().clear();
        builder.environment().putAll(environment);
        try {
            Files.writeString(log, "=== chaos harness: start " + starts + " of " + name + " at " + Instant.now() + "\n",
                    StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + " (" + command.get(0) + "): " + e.getMessage(), e);
        }
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException(name + " was never started");
        }
        return process.pid();
    }

    /** Sends {@code signal} as {@code kill -s} does. */
    synchronized void signal(Signal signal) {
        if (!alive()) {
            throw new IllegalStateException("cannot send SIG" + signal + " to " + name + ": it is not running");
        }
        Signals.send(signal, process.pid());
    }

    /** Waits until the process has exited; returns how long that took. */
    Duration awaitExit(Duration timeout) {
        Process running;
        synchronized (this) {
            running = process;
        }
        long begin = System.nanoTime();
        try {
            if (running != null && !running.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(name + " (pid " + running.pid() + ") has not exited after " + timeout);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + name + " to exit", e);
        }
        return Duration.ofNanos(System.nanoTime() - begin);
    }

    /** Kills the process if it still runs (a stopped one too) and waits for it to go. */
    @Override
    public synchronized void close() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
