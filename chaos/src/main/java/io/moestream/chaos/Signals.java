package io.moestream.chaos;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/**
 * Sends signals through one long-running bash, whose builtin {@code kill} needs no fork: a fault follows
 * the moment the harness chose for it (an open transaction sighted) within a millisecond, where starting
 * a {@code kill} process would take tens of them on a busy machine.
 */
final class Signals {

    private static Process shell;
    private static Writer commands;
    private static BufferedReader answers;

    private Signals() {
    }

    /** {@code kill -s <signal> <pid>}. */
    static synchronized void send(ChildProcess.Signal signal, long pid) {
        try {
            if (shell == null || !shell.isAlive()) {
                shell = new ProcessBuilder("bash", "--noprofile", "--norc").redirectErrorStream(true).start();
                commands = new OutputStreamWriter(shell.getOutputStream(), StandardCharsets.UTF_8);
                answers = new BufferedReader(new InputStreamReader(shell.getInputStream(), StandardCharsets.UTF_8));
            }
            commands.write("kill -s " + signal.name() + " " + pid + " 2>&1; echo \"rc=$?\"\n");
            commands.flush();
            StringBuilder output = new StringBuilder();
            for (String line = answers.readLine(); line != null; line = answers.readLine()) {
                if (line.startsWith("rc=")) {
                    if (!line.equals("rc=0")) {
                        throw new IllegalStateException("kill -s " + signal + " " + pid + " failed: " + output);
                    }
                    return;
                }
                output.append(line).append('\n');
            }
            throw new IllegalStateException("the shell sending signals ended: " + output);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot send SIG" + signal + " to " + pid + ": " + e.getMessage(), e);
        }
    }

    static synchronized void close() {
        if (shell != null) {
            shell.destroy();
            shell = null;
        }
    }
}
