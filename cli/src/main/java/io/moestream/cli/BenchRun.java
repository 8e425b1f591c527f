package io.moestream.cli;

import io.moestream.cli.LayerBaseline.LayerRun;
import io.moestream.routing.ParallelStepTime;
import java.util.List;

/**
 * What the bench measured for one policy at one capacity factor, in the pipeline and in process, and
 * what it models; the fields are its entry in report.json. Measured figures are of the median pass.
 *
 * @param capacityFactor {@code null} for dropless, which has no capacity
 * @param modelled the same steps on the bench's ranks and on the modelled ranks
 * @param pipelineTokensPerSecond every pipeline pass's tokens/s, in the order run
 * @param inProcessTokensPerSecond every in-process pass's tokens/s, in the order run
 */
record BenchRun(String policy, Double capacityFactor, PipelineFigures pipeline, InProcess inProcess,
                List<Modelled> modelled, double[] pipelineTokensPerSecond, double[] inProcessTokensPerSecond) {

    /** @param pipelineRatio the pipeline's tokens/s over the in-process layer's (goal >= 0.9) */
    record InProcess(int steps, double tokensPerSecond, double meanStepMs, double pipelineRatio) {

        static InProcess of(LayerRun run, PipelineFigures pipeline) {
            return new InProcess(run.steps(), run.tokensPerSecond(), run.meanStepMs(),
                    pipeline.tokensPerSecond() / run.tokensPerSecond());
        }
    }

    /**
     * The steps routed on {@code ranks} ranks, each as long as its busiest rank's rows times the measured cost
     * of a row ({@link ParallelStepTime}).
     */
    record Modelled(int ranks, long busiestRankRows, double meanStepMs) {

        static Modelled of(int ranks, ParallelStepTime time, double secondsPerRow) {
            return new Modelled(ranks, time.busiestRankRows(), time.seconds(secondsPerRow) * 1000 / time.steps());
        }
    }

    /**
     * How many times faster than dropless a policy computes the same tokens: in the pipeline (pass time,
     * all prompts at once), on the pipeline's busiest rank (kernel time), in process, and modelled on the
     * bench's ranks and on {@code modelledRanks}.
     */
    record SpeedUp(String policy, Double capacityFactor, double pipeline, double pipelineBusiestRank,
                   double inProcess, double modelledOnBenchRanks, int modelledRanks, double modelled) {
    }

    /**
     * @param modelledOnBenchRanks {@link ParallelStepTime#speedUpOver} dropless on the bench's ranks
     * @param modelled the same on {@code modelled().get(1).ranks()} ranks
     */
    SpeedUp speedUpOver(BenchRun dropless, double modelledOnBenchRanks, double modelled) {
        return new SpeedUp(policy, capacityFactor,
                pipeline.tokensPerSecond() / dropless.pipeline.tokensPerSecond(),
                dropless.pipeline.busiestRankSeconds() / pipeline.busiestRankSeconds(),
                inProcess.tokensPerSecond() / dropless.inProcess.tokensPerSecond(),
                modelledOnBenchRanks, this.modelled.get(1).ranks(), modelled);
    }
}
