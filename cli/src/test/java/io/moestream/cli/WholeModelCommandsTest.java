package io.moestream.cli;

import io.moestream.decoder.LogSoftmax;
import io.moestream.model.SafetensorsFile;
import io.moestream.model.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code moe score} and {@code moe generate} on a conformance checkpoint of common's tests, checked
 * against what the independent Python reference computed for it (expected.json, expected.safetensors):
 * the commands' own files must carry the reference's numbers through every option.
 */
class WholeModelCommandsTest {

    static final Path FIXTURE = Path.of("..", "common", "src", "test", "resources", "conformance", "qwen3-moe-f32");

    @TempDir
    static Path dir;

    static JsonNode expected;
    static Path tokens;
    static Tensor referenceLogits;
    static double tolerance;

    @BeforeAll
    static void readReference() throws IOException {
        expected = Json.MAPPER.readTree(FIXTURE.resolve("expected.json").toFile());
        tolerance = expected.get("tolerance").doubleValue();
        StringBuilder lines = new StringBuilder();
        expected.get("prompts").forEach(p -> lines.append("{\"tokens\": ").append(p).append("}\n"));
        tokens = Files.writeString(dir.resolve("prompts.jsonl"), lines);
        try (SafetensorsFile file = SafetensorsFile.open(FIXTURE.resolve("expected.safetensors"))) {
            referenceLogits = file.tensor("logits");
        }
    }

    @Test
    void scoreWritesTheReferenceLogProbabilitiesAndLogits() throws IOException {
        Path out = dir.resolve("scores.jsonl");
        Path logits = dir.resolve("logits.safetensors");
        Moe moe = Moe.run("score", "--model", FIXTURE.toString(), "--tokens-file", tokens.toString(), "--backend", "java",
                "--output", out.toString(), "--logits", logits.toString());
        assertThat(moe.exitCode()).as(moe.err()).isZero();
        List<JsonNode> lines = jsonLines(out);
        assertThat(lines).hasSize(expected.get("prompts").size());
        int vocab = referenceLogits.shape()[1];
        int row = 0;
        for (int p = 0; p < lines.size(); p++) {
            JsonNode line = lines.get(p);
            JsonNode prompt = expected.get("prompts").get(p);
            assertThat(line.get("tokens").toString()).isEqualTo(prompt.toString().replace(" ", ""));
            assertThat(line.get("logprobs").get(0).isNull()).isTrue();
            double sum = 0;
            for (int i = 1; i < prompt.size(); i++) {
                double reference = LogSoftmax.of(referenceLogits.data(), (row + i - 1) * vocab, vocab)[prompt.get(i).intValue()];
                assertThat(line.get("logprobs").get(i).doubleValue()).isCloseTo(reference, within(tolerance));
                sum += reference;
            }
            if (prompt.size() > 1) {
                double nll = -sum / (prompt.size() - 1);
                assertThat(line.get("nll").doubleValue()).isCloseTo(nll, within(tolerance));
                assertThat(line.get("perplexity").doubleValue()).isCloseTo(Math.exp(nll), within(tolerance * Math.exp(nll)));
            } else {
                assertThat(line.get("nll").isNull()).as("a one-token sequence predicts nothing").isTrue();
            }
            row += prompt.size();
        }
        try (SafetensorsFile file = SafetensorsFile.open(logits)) {
            Tensor first = file.tensor("logits");
            int length = expected.get("prompts").get(0).size();
            assertThat(first.shape()).containsExactly(length, vocab);
            for (int i = 0; i < length * vocab; i++) {
                assertThat((double) first.data()[i]).isCloseTo(referenceLogits.data()[i], within(tolerance));
            }
        }
        assertThat(moe.out()).contains("perplexity").contains("balancedness");
    }

    @Test
    void scoreComparedWithDroplessPrintsThePerLayerTableAndTheCost() {
        Moe same = Moe.run("score", "--model", FIXTURE.toString(), "--tokens-file", tokens.toString(), "--backend", "java",
                "--policy", "dropless", "--compare", "dropless");
        assertThat(same.exitCode()).as(same.err()).isZero();
        assertThat(same.out()).contains("KL(dropless || policy)  0.000000").contains("top-1 agreement         100.00%");
        Moe dropping = Moe.run("score", "--model", FIXTURE.toString(), "--tokens-file", tokens.toString(), "--backend",
                "java", "--policy", "token-drop", "--capacity-factor", "0.5", "--ranks", "2", "--step-tokens", "16",
                "--compare", "dropless");
        assertThat(dropping.exitCode()).as(dropping.err()).isZero();
        // The fixture's only MoE layer is layer 1 (decoder_sparse_step 2); dense layers have no routing row.
        assertThat(dropping.out()).containsPattern("(?m)^\\s+1\\s+\\d+\\s+[1-9]").doesNotContainPattern("(?m)^\\s+0\\s+\\d+\\s");
        assertThat(dropping.out()).doesNotContain("KL(dropless || policy)  0.000000");
    }

    @Test
    void generateContinuesAsTheReferenceGreedily() throws IOException {
        Path out = dir.resolve("generated.jsonl");
        int newTokens = expected.get("max_new_tokens").intValue();
        Moe moe = Moe.run("generate", "--model", FIXTURE.toString(), "--tokens-file", tokens.toString(), "--backend",
                "java", "--max-new-tokens", String.valueOf(newTokens), "--output", out.toString());
        assertThat(moe.exitCode()).as(moe.err()).isZero();
        List<JsonNode> lines = jsonLines(out);
        for (int p = 0; p < lines.size(); p++) {
            assertThat(lines.get(p).get("prompt_tokens")).isEqualTo(expected.get("prompts").get(p));
            assertThat(lines.get(p).get("tokens")).isEqualTo(expected.get("greedy").get(p));
            assertThat(lines.get(p).get("finish_reason").stringValue()).isEqualTo("length");
        }
        assertThat(moe.err()).contains("prefill").contains("decode");
    }

    @Test
    void textForAModelWithoutTokenizerIsRefusedByName() {
        Moe score = Moe.run("score", "--model", FIXTURE.toString(), "--text", "hello", "--backend", "java");
        assertThat(score.exitCode()).isEqualTo(2);
        assertThat(score.err()).contains("has no tokenizer.json").contains("--tokens-file").contains("--text");
        Moe generate = Moe.run("generate", "--model", FIXTURE.toString(), "--prompt", "hello", "--max-new-tokens", "2");
        assertThat(generate.exitCode()).isEqualTo(2);
        assertThat(generate.err()).contains("has no tokenizer.json").contains("--prompt");
    }

    @Test
    void badTokensAndFilesAreReportedByName() throws IOException {
        Path outOfRange = Files.writeString(dir.resolve("big.jsonl"), "{\"tokens\": [1, 2, 999]}\n");
        Moe moe = Moe.run("score", "--model", FIXTURE.toString(), "--tokens-file", outOfRange.toString(), "--backend", "java");
        assertThat(moe.exitCode()).isEqualTo(2);
        assertThat(moe.err()).contains("token id 999 at position 2");
        Path malformed = Files.writeString(dir.resolve("bad.jsonl"), "{\"tokens\": [1, 2]}\n{\"tokens\": \"x\"}\n");
        moe = Moe.run("score", "--model", FIXTURE.toString(), "--tokens-file", malformed.toString(), "--backend", "java");
        assertThat(moe.exitCode()).isEqualTo(2);
        assertThat(moe.err()).contains("bad.jsonl, line 2");
        moe = Moe.run("score", "--model", dir.resolve("missing").toString(), "--tokens-file", tokens.toString());
        assertThat(moe.exitCode()).isEqualTo(2);
        assertThat(moe.err()).contains("config.json");
    }

    private static List<JsonNode> jsonLines(Path file) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            lines.add(Json.MAPPER.readTree(line));
        }
        return lines;
    }
}
