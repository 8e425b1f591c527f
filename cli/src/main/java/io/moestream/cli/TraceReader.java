package io.moestream.cli;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a trace one step at a time, so that a trace larger than memory replays all the same. */
final class TraceReader implements Closeable {

    private final String name;
    private final BufferedReader lines;
    private int lineNumber;

    private TraceReader(String name, BufferedReader lines) {
        this.name = name;
        this.lines = lines;
    }

    /** Opens {@code input}, a file or {@code -} for {@code stdin}. */
    static TraceReader open(String input, InputStream stdin) {
        if ("-".equals(input)) {
            return new TraceReader("<stdin>", new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8)));
        }
        try {
            return new TraceReader(input, Files.newBufferedReader(Path.of(input)));
        } catch (IOException e) {
            throw UserError.io(input, e);
        }
    }

    String name() {
        return name;
    }

    /** The next step, or {@code null} after the last; blank lines are skipped but counted. */
    TraceStep next() {
        String line;
        do {
            line = readLine();
        } while (line != null && line.isBlank());
        if (line == null) {
            return null;
        }
        String location = name + " line " + lineNumber;
        try {
            return TraceFormat.parse(line, location);
        } catch (IllegalArgumentException e) {
            throw new UserError(location + ": " + e.getMessage());
        }
    }

    private String readLine() {
        try {
            String line = lines.readLine();
            lineNumber++;
            return line;
        } catch (IOException e) {
            throw UserError.io(name + " line " + (lineNumber + 1), e);
        }
    }

    @Override
    public void close() throws IOException {
        lines.close();
    }
}
