package io.moestream.cli;

import io.moestream.cli.PipelineDriver.Pass;

/**
 * What one pass of the bench measured in the pipeline, from its results and the differences of the
 * router's and expert services' metrics; the fields are its entry in report.json.
 *
 * @param steps the router's batches: routing steps of up to the gateway's step size
 * @param meanStepMs the pass's time over its steps; the steps overlap, so this is time per step, not a step's latency
 * @param rankBusySeconds per rank, the expert kernels' time ({@code moe_expert_busy_seconds_sum})
 * @param rankBusyStraggler max / mean of {@code rankBusySeconds}
 * @param routerRankStraggler the router's max / mean rank load, mean over steps
 * @param rows expert rows computed ({@code moe_expert_rows_total})
 * @param keptSlotsPerToken the top-k slots kept, per token: {@code k} under dropless
 * @param dispatchBytesPerToken bytes the router wrote to the expert topics, per token
 * @param outputBytesPerToken bytes the expert services wrote back, per token
 */
record PipelineFigures(int prompts, long tokens, long steps, int degraded, double dropRate, double tokensPerSecond,
                       double p50Ms, double p99Ms, double meanStepMs, double[] rankBusySeconds,
                       double rankBusyStraggler, double routerRankStraggler, long rows, double keptSlotsPerToken,
                       double dispatchBytesPerToken, double outputBytesPerToken) {

    static PipelineFigures of(Pass pass, int ranks) {
        long tokens = pass.tokens();
        long steps = Math.round(pass.since("moe_router_batches_total"));
        double[] busy = new double[ranks];
        for (int rank = 0; rank < ranks; rank++) {
            busy[rank] = pass.since("moe_expert_busy_seconds_sum", "rank=" + rank);
        }
        double demanded = pass.since("moe_router_slots_total", "kind=demand");
        return new PipelineFigures(pass.results().length, tokens, steps, pass.degraded(),
                demanded == 0 ? 0 : pass.since("moe_router_slots_total", "kind=dropped") / demanded,
                pass.tokensPerSecond(), pass.latencyMs(0.50), pass.latencyMs(0.99), pass.seconds() * 1000 / steps,
                busy, maxOverMean(busy), pass.mean("moe_router_rank_straggler"),
                Math.round(pass.since("moe_expert_rows_total")),
                pass.since("moe_router_slots_total", "kind=kept") / tokens,
                pass.since("moe_router_written_bytes_total", "record=dispatch") / tokens,
                pass.since("moe_expert_wire_bytes_total", "direction=out") / tokens);
    }

    /** The busiest rank's kernel time: what bounds the step when the ranks compute at once. */
    double busiestRankSeconds() {
        double max = 0;
        for (double seconds : rankBusySeconds) {
            max = Math.max(max, seconds);
        }
        return max;
    }

    /**
     * The busiest rank's kernel time over the pass time: the part of the pass the transport, the gateway and the
     * router do not add to the compute that bounds it (1 would be none).
     */
    double busiestRankShare() {
        return busiestRankSeconds() * tokensPerSecond / tokens;
    }

    /** The measured cost of one expert row: kernel time over rows computed. */
    double secondsPerRow() {
        double total = 0;
        for (double seconds : rankBusySeconds) {
            total += seconds;
        }
        return total / rows;
    }

    private static double maxOverMean(double[] values) {
        double sum = 0;
        double max = 0;
        for (double value : values) {
            sum += value;
            max = Math.max(max, value);
        }
        return sum == 0 ? 0 : max / (sum / values.length);
    }
}
