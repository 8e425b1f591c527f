package io.moestream.cli;

import java.io.FilterWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;

/** Where a command writes: a file, or the command's standard output for {@code -} or no file. */
final class Outputs {

    private Outputs() {
    }

    static Writer open(String file, CommandSpec command) {
        if (file == null || "-".equals(file)) {
            return new FilterWriter(command.commandLine().getOut()) {
                @Override
                public void close() throws IOException {
                    flush(); // standard output outlives the command
                }
            };
        }
        try {
            return Files.newBufferedWriter(Path.of(file));
        } catch (IOException e) {
            throw UserError.io(file, e);
        }
    }
}
