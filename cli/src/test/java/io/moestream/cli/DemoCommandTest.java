package io.moestream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import io.moestream.routing.Policy;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** {@code moe demo} end to end: a real broker and every service in this JVM, a few prompts, two policies. */
class DemoCommandTest {

    @TempDir
    Path dir;

    @Test
    void reportsEveryPolicyAgainstDroplessAndWritesTheTextJsonAndChart() throws Exception {
        // Capacity factor 0.5 makes token-drop drop on any prompt mix.
        Path corpus = TestCorpus.write(dir.resolve("corpus"));
        Moe moe = Moe.run("demo", "--preset", "mixtral-like", "--prompts", "8", "--policies", "token-drop",
                "--capacity-factor", "0.5", "--corpus", corpus.toString(), "--burst-domain", "domain1",
                "--new-tokens", "4", "--held-out-sequences", "1", "--out", dir.resolve("report").toString());
        Path out = dir.resolve("report");

        assertThat(moe.exitCode()).as(moe.err()).isZero();
        JsonNode report = Json.MAPPER.readTree(out.resolve("report.json").toFile());
        JsonNode dropless = report.path("policies").get(0);
        JsonNode tokenDrop = report.path("policies").get(1);
        assertThat(report.path("policies").size()).isEqualTo(2);
        assertThat(dropless.path("policy").asString()).isEqualTo("dropless");
        assertThat(tokenDrop.path("policy").asString()).isEqualTo("token-drop");
        assertThat(dropless.path("relativeL2").asDouble()).isZero();
        assertThat(dropless.path("cosine").asDouble()).isEqualTo(1.0);
        assertThat(dropless.path("dropRate").asDouble()).isZero();
        assertThat(tokenDrop.path("dropRate").asDouble()).isPositive();
        assertThat(tokenDrop.path("relativeL2").asDouble()).isPositive();
        assertThat(tokenDrop.path("prompts").asInt()).isEqualTo(8);
        assertThat(tokenDrop.path("degraded").asInt()).isZero();
        // Demand is the router's, the same tokens under either policy.
        assertThat(tokenDrop.path("demand")).isEqualTo(dropless.path("demand"));

        BufferedImage chart = ImageIO.read(out.resolve("report.png").toFile());
        assertThat(chart.getWidth()).isEqualTo(DemoChart.WIDTH);
        assertThat(chart.getHeight()).isEqualTo(DemoChart.HEIGHT);

        assertThat(moe.out()).contains("policy", "drop rate", "tokens/s", "p99", "rel. L2", "cosine")
                .containsPattern("(?m)^dropless +0\\.00% ")
                .containsPattern("(?m)^token-drop +[1-9]");
        assertThat(out.resolve("report.txt")).content().contains("== token-drop, capacity factor 0.5");
        assertThat(moe.err()).contains("token-drop (2 of 2)");

        // The whole model in process: its text, its cost on held-out text, the burst.
        JsonNode whole = report.path("wholeModel");
        assertThat(whole.path("texts").size()).isEqualTo(TestCorpus.DOMAINS.size());
        for (JsonNode text : whole.path("texts")) {
            assertThat(text.path("byPolicy").path("dropless").path("tokens").size()).isEqualTo(4);
            assertThat(text.path("byPolicy").path("dropless").path("firstDifference").asInt()).isEqualTo(-1);
            assertThat(text.path("byPolicy").has("token-drop")).isTrue();
        }
        for (String part : new String[] {"heldOut", "burst"}) {
            JsonNode policies = whole.path(part);
            assertThat(policies.size()).isEqualTo(2);
            assertThat(policies.get(0).path("label").asString()).isEqualTo("dropless");
            assertThat(policies.get(0).path("kl").asDouble()).isZero();
            assertThat(policies.get(0).path("top1Agreement").asDouble()).isEqualTo(1.0);
            assertThat(policies.get(1).path("label").asString()).isEqualTo("token-drop");
            assertThat(policies.get(1).path("dropRate").asDouble()).isPositive();
            assertThat(policies.get(1).path("kl").asDouble()).isPositive();
        }
        assertThat(whole.path("burstDomain").asString()).isEqualTo("domain1");
        assertThat(whole.path("burstLayers").size()).isPositive();
        whole.path("burstLayers").forEach(layer -> assertThat(layer.path("burstBusiestOverMean").asDouble())
                .isGreaterThanOrEqualTo(1.0));
        assertThat(moe.out()).contains("== text the whole model generates under each policy",
                "== the whole model on held-out text of every domain", "== domain burst: domain1 alone");

        // The same through Kafka, served by the stack's dense workers.
        JsonNode kafka = whole.path("kafka").path("policies");
        assertThat(kafka.size()).isEqualTo(2);
        assertThat(kafka.get(0).path("policy").asString()).isEqualTo("dropless");
        assertThat(kafka.get(1).path("policy").asString()).isEqualTo("token-drop");
        // Dropless routes each token alone, so neither the workers' batches nor the wire changes its text.
        for (int p = 0; p < TestCorpus.DOMAINS.size(); p++) {
            assertThat(kafka.get(0).path("texts").get(p).path("tokens"))
                    .isEqualTo(whole.path("texts").get(p).path("byPolicy").path("dropless").path("tokens"));
        }
        assertThat(kafka.get(0).path("perplexity").asDouble())
                .isCloseTo(kafka.get(0).path("inProcessPerplexity").asDouble(), withinPercentage(0.1));
        for (JsonNode policy : kafka) {
            assertThat(policy.path("perplexity").asDouble()).isFinite().isGreaterThan(1.0);
            assertThat(policy.path("degraded").asInt()).isZero();
            assertThat(policy.path("timeToFirstTokenMs").path("p50").asDouble()).isPositive();
            assertThat(policy.path("interTokenMs").path("p99").asDouble()).isFinite().isNotNegative();
            assertThat(policy.path("layers").size()).isEqualTo(whole.path("burstLayers").size());
            policy.path("layers").forEach(layer -> {
                assertThat(layer.path("straggler").asDouble()).isGreaterThanOrEqualTo(1.0);
                assertThat(layer.path("balancedness").asDouble()).isPositive().isLessThanOrEqualTo(1.0);
            });
        }
        assertThat(moe.out()).contains("== the whole model through Kafka under each policy");
        assertThat(moe.err()).contains("the whole model through Kafka, token-drop (2 of 2)");
    }

    /** Without --model or --preset the demo serves the committed trained model, in the pipeline and in process. */
    @Test
    void runsTheTrainedModelByDefault() throws Exception {
        Path corpus = TestCorpus.write(dir.resolve("corpus"));
        Moe moe = Moe.run("demo", "--prompts", "4", "--policies", "token-drop", "--corpus", corpus.toString(),
                "--burst-domain", "domain0", "--new-tokens", "4", "--held-out-sequences", "1", "--out",
                dir.resolve("report").toString());

        assertThat(moe.exitCode()).as(moe.err()).isZero();
        JsonNode report = Json.MAPPER.readTree(dir.resolve("report").resolve("report.json").toFile());
        assertThat(report.path("setup").asString()).contains(TrainedModelPaths.dir().toString(), "olmoe");
        assertThat(report.path("wholeModel").path("texts").size()).isEqualTo(TestCorpus.DOMAINS.size());
        // A trained model: far below the 4,096 of a uniform guess, where a generated model's random weights sit above it.
        assertThat(report.path("wholeModel").path("heldOut").get(0).path("perplexity").asDouble()).isLessThan(1000);
        assertThat(report.path("wholeModel").path("kafka").path("policies").get(0).path("perplexity").asDouble())
                .isLessThan(1000);
    }

    /** Both papers measure against the GShard/Switch vanilla top-k router, so the demo runs it unasked. */
    @Test
    void defaultPoliciesRunTheVanillaBaselineRightAfterDropless() {
        DemoCommand demo = MoeCommand.commandLine().parseArgs("demo").subcommand().commandSpec().commandLine()
                .getCommand();

        assertThat(demo.policies).startsWith(Policy.DROPLESS, Policy.VANILLA)
                .contains(Policy.TOKEN_DROP, Policy.TOKEN_REROUTE, Policy.EXPANDED_DROP, Policy.RECTIFY);
    }

    @Test
    void aCorpusThatIsNotThereStopsTheDemoBeforeThePipelineStarts() {
        Moe moe = Moe.run("demo", "--corpus", dir.resolve("nowhere").toString(), "--out",
                dir.resolve("unused").toString());

        assertThat(moe.exitCode()).isEqualTo(ErrorReporter.USER_ERROR);
        assertThat(moe.err()).contains(dir.resolve("nowhere").toString()).doesNotContain("starting the local pipeline");
    }

    @Test
    void tooManyPromptsIsAUserError() {
        Moe moe = Moe.run("demo", "--prompts", "10000", "--out", dir.toString());

        assertThat(moe.exitCode()).isEqualTo(ErrorReporter.USER_ERROR);
        assertThat(moe.err()).contains("--prompts must be between 1 and 283");
    }
}
