package io.moestream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** {@code moe bench} end to end: a real broker and every service in this JVM, a tiny model, a few prompts. */
class BenchCommandTest {

    @TempDir
    Path dir;

    @Test
    void measuresThePipelineAndTheInProcessLayerAndModelsTheSpeedUp() throws Exception {
        // Capacity factor 0.5 caps the busiest expert on any prompt mix, so the modelled steps must shorten.
        Moe moe = Moe.run("bench", "--scale", "tiny", "--prompts", "8", "--policies", "token-drop",
                "--capacity-factors", "0.5", "--repeat", "2", "--out", dir.toString());

        assertThat(moe.exitCode()).as(moe.err()).isZero();
        JsonNode report = Json.MAPPER.readTree(dir.resolve("report.json").toFile());
        int ranks = report.path("ranks").asInt();
        double slotBytes = report.path("hiddenSize").asDouble() * report.path("wireBytes").asDouble();
        assertThat(report.path("minimumBytesPerToken").asDouble())
                .isEqualTo(report.path("topK").asInt() * slotBytes);
        JsonNode runs = report.path("runs");
        assertThat(runs.size()).isEqualTo(2);
        assertThat(runs.get(0).path("policy").asString()).isEqualTo("dropless");
        assertThat(runs.get(0).path("capacityFactor").isNull()).isTrue();
        assertThat(runs.get(1).path("policy").asString()).isEqualTo("token-drop");
        assertThat(runs.get(1).path("capacityFactor").asDouble()).isEqualTo(0.5);
        for (JsonNode run : runs) {
            JsonNode pipeline = run.path("pipeline");
            assertThat(pipeline.path("prompts").asInt()).isEqualTo(8);
            assertThat(pipeline.path("degraded").asInt()).isZero();
            assertThat(pipeline.path("tokensPerSecond").asDouble()).isPositive();
            assertThat(pipeline.path("steps").asLong()).isPositive();
            assertThat(pipeline.path("p99Ms").asDouble()).isGreaterThanOrEqualTo(pipeline.path("p50Ms").asDouble());
            assertThat(pipeline.path("rankBusySeconds").size()).isEqualTo(ranks);
            pipeline.path("rankBusySeconds").forEach(busy -> assertThat(busy.asDouble()).isPositive());
            assertThat(pipeline.path("rankBusyStraggler").asDouble()).isGreaterThanOrEqualTo(1.0);
            // Every kept slot travels once each way as d values, plus record headers.
            double keptMinimum = pipeline.path("keptSlotsPerToken").asDouble() * slotBytes;
            assertThat(keptMinimum).isPositive();
            assertThat(pipeline.path("dispatchBytesPerToken").asDouble()).isGreaterThanOrEqualTo(keptMinimum);
            assertThat(pipeline.path("outputBytesPerToken").asDouble()).isGreaterThanOrEqualTo(keptMinimum);
            JsonNode inProcess = run.path("inProcess");
            assertThat(inProcess.path("steps").asInt()).isPositive();
            assertThat(inProcess.path("tokensPerSecond").asDouble()).isPositive();
            assertThat(inProcess.path("pipelineRatio").asDouble()).isPositive();
            assertThat(run.path("pipelineTokensPerSecond").size()).isEqualTo(2);
            assertThat(run.path("inProcessTokensPerSecond").size()).isEqualTo(2);
            JsonNode modelled = run.path("modelled");
            assertThat(modelled.size()).isEqualTo(2);
            assertThat(modelled.get(0).path("ranks").asInt()).isEqualTo(ranks);
            assertThat(modelled.get(1).path("ranks").asInt()).isEqualTo(8);
            // Spreading the same experts over more ranks can only shorten the busiest rank's share.
            assertThat(modelled.get(1).path("busiestRankRows").asLong()).isPositive()
                    .isLessThanOrEqualTo(modelled.get(0).path("busiestRankRows").asLong());
        }
        JsonNode dropless = runs.get(0).path("pipeline");
        assertThat(dropless.path("keptSlotsPerToken").asDouble()).isEqualTo(report.path("topK").asDouble());
        assertThat(dropless.path("dispatchBytesPerToken").asDouble())
                .isGreaterThanOrEqualTo(report.path("minimumBytesPerToken").asDouble());
        assertThat(runs.get(1).path("pipeline").path("dropRate").asDouble()).isPositive();
        JsonNode speedUp = report.path("speedUps").get(0);
        assertThat(report.path("speedUps").size()).isEqualTo(1);
        assertThat(speedUp.path("policy").asString()).isEqualTo("token-drop");
        assertThat(speedUp.path("modelledRanks").asInt()).isEqualTo(8);
        assertThat(speedUp.path("modelled").asDouble()).isGreaterThan(1.0);
        assertThat(speedUp.path("modelledOnBenchRanks").asDouble()).isGreaterThan(1.0);
        assertThat(speedUp.path("pipeline").asDouble()).isPositive();
        assertThat(speedUp.path("inProcess").asDouble()).isPositive();

        assertThat(moe.out()).contains("== the pipeline through Kafka", "== the in-process layer",
                "== bytes on the wire per token", "== speed-up over dropless", "modelled: ")
                .containsPattern("(?m)^token-drop +0\\.5 ");
        assertThat(dir.resolve("report.txt")).content().isEqualTo(moe.out().substring(0,
                moe.out().indexOf("\nwrote ")));
        assertThat(moe.err()).contains("token-drop-cf0.5, pass 2 of 2", "the in-process layer");
    }

    @Test
    void aBenchNeedsAPolicyToCompareWithDropless() {
        Moe moe = Moe.run("bench", "--policies", "dropless", "--out", dir.toString());

        assertThat(moe.exitCode()).isEqualTo(ErrorReporter.USER_ERROR);
        assertThat(moe.err()).contains("--policies needs a policy besides dropless");
    }
}
