package io.moestream.bench;

import java.util.Collection;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * How every report here runs JMH: one fork, short one-second iterations (the figures are ratios
 * measured in the same run, not absolute times), results also written as JSON.
 */
final class JmhRun {

    private JmhRun() {
    }

    static Collection<RunResult> run(Class<?> benchmark, int warmups, String heap, String json) throws RunnerException {
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(benchmark.getName())
                .forks(1)
                .warmupIterations(warmups)
                .warmupTime(TimeValue.seconds(1))
                .measurementIterations(5)
                .measurementTime(TimeValue.seconds(1))
                .jvmArgsAppend("-Xmx" + heap)
                .resultFormat(ResultFormatType.JSON)
                .result(json)
                .build()).run();
        System.out.println("JMH results: " + json);
        return results;
    }
}
