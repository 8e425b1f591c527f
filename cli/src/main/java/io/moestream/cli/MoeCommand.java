package io.moestream.cli;

import java.util.concurrent.Callable;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code ./moe} command line. Adding a subcommand is one class plus one entry in
 * {@code subcommands}; the help options and help layout below are inherited by every subcommand.
 */
@Command(name = "moe",
        description = "Capacity-aware Mixture-of-Experts routing tools (see docs/ROUTING-SPEC.md).",
        subcommands = {DemoCommand.class, BenchCommand.class, ModelBenchCommand.class, TraceCommand.class, ReplayCommand.class, GenerateModelCommand.class,
                CorpusTokensCommand.class, ForwardCommand.class, ScoreCommand.class, GenerateCommand.class, LocalCommand.class,
                QualityCommand.class, HelpCommand.class},
        scope = ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = MoeCommand.Version.class,
        showDefaultValues = true,
        sortOptions = false,
        abbreviateSynopsis = true,
        usageHelpAutoWidth = true)
public final class MoeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        // Read by logback when it first starts; a name of our own, so Spring Boot does not take it for its config.
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "moe-cli-logback.xml");
        }
        // The core logs through System.Logger, that is java.util.logging: one log, one format, one level.
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        System.exit(commandLine().execute(args));
    }

    /** The command line as {@code main} runs it, with one-line error reporting; tests use it too. */
    public static CommandLine commandLine() {
        ErrorReporter errors = new ErrorReporter();
        return new CommandLine(new MoeCommand())
                .setParameterExceptionHandler(errors)
                .setExecutionExceptionHandler(errors);
    }

    /** {@code moe} alone: show what there is to run. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ErrorReporter.USER_ERROR;
    }

    /** The version Maven writes into the jar's manifest; absent when run from unpackaged classes. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = MoeCommand.class.getPackage().getImplementationVersion();
            return new String[] {"moe " + (version == null ? "(development build)" : version)};
        }
    }
}
