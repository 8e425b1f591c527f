package io.moestream.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Reports bad options and bad input as one line on stderr with exit code 2, instead of picocli's
 * full usage text or a stack trace. Any other exception is a bug and keeps its stack trace.
 */
final class ErrorReporter implements IParameterExceptionHandler, IExecutionExceptionHandler {

    static final int USER_ERROR = 2;

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine command = ex.getCommandLine();
        return report(command, ex.getMessage() + " (see '" + command.getCommandSpec().qualifiedName() + " --help')");
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine command, ParseResult parsed) throws Exception {
        if (ex instanceof UserError || ex instanceof IOException || ex instanceof UncheckedIOException) {
            return report(command, ex.getMessage());
        }
        throw ex;
    }

    private static int report(CommandLine command, String message) {
        command.getErr().println(command.getCommandSpec().qualifiedName() + ": " + message);
        command.getErr().flush();
        return USER_ERROR;
    }
}
