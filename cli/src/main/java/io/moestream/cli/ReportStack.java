package io.moestream.cli;

import io.moestream.local.LocalStack;
import io.moestream.local.ServicePorts;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Option;

/**
 * The local stack as the commands that print a report start it ({@code demo}, {@code bench}): every
 * service on a free port, so that a running {@code ./moe local} is left alone, and the logs quiet,
 * since the report and the progress lines are what the user reads.
 */
final class ReportStack {

    @Option(names = "--port", defaultValue = "0", paramLabel = "PORT",
            description = "Kafka broker port; 0 for a free one, so a running ./moe local is left alone.")
    int port;

    /** Starts the stack with what {@code configure} adds to those settings. */
    LocalStack start(UnaryOperator<LocalStack.Builder> configure) {
        LocalStack.Builder builder = LocalStack.builder().brokerPort(port).ports(ServicePorts.ANY)
                // The services' start-up logs would bury the progress lines, and the broker logs clients'
                // retried transactional writes as errors though they succeed.
                .property("logging.level.root", "WARN")
                .property("logging.level.org.apache.kafka", "ERROR")
                .property("logging.level.kafka", "OFF");
        try {
            return configure.apply(builder).start();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new UserError(e.getMessage());
        }
    }
}
