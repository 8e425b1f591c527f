package io.moestream.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import picocli.CommandLine;

/** Runs {@code moe} in-process, as {@code ./moe} would, and keeps what it printed. */
record Moe(int exitCode, String out, String err) {

    /** The bundled examples; Maven runs tests in the module directory. */
    static final Path EXAMPLES = Path.of("..", "examples");

    static Moe run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine moe = MoeCommand.commandLine();
        moe.setOut(new PrintWriter(out));
        moe.setErr(new PrintWriter(err));
        int exitCode = moe.execute(args);
        return new Moe(exitCode, out.toString(), err.toString());
    }
}
