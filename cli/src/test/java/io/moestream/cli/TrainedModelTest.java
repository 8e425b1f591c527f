package io.moestream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.moestream.text.ModelTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The committed trained model ({@code models/olmoe-corpus}, made by {@code training/train.py})
 * run by {@code moe score} and {@code moe generate}, against what torch computed from the same
 * exported BF16 weights ({@code training/fixture.py}): a held-out window per domain, its
 * log-probabilities within 1e-3 and its greedy continuation exactly.
 */
class TrainedModelTest {

    static final Path MODEL = Path.of("..", "models", "olmoe-corpus");
    static final Path EXPECTED = Path.of("src", "test", "resources", "olmoe-corpus-expected.json");
    static final double TOLERANCE = 1e-3;
    static final long MAX_BYTES = 25L * 1000 * 1000;

    @TempDir
    static Path dir;

    static JsonNode expected;

    @BeforeAll
    static void read() throws IOException {
        expected = Json.MAPPER.readTree(EXPECTED.toFile());
    }

    @Test
    void theFixtureWasComputedFromTheCommittedWeights() throws IOException, NoSuchAlgorithmException {
        Path weights = MODEL.resolve("model.safetensors");
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(weights)));

        assertThat(sha256).as("re-run training/fixture.py after exporting new weights")
                .isEqualTo(expected.get("weights_sha256").stringValue());
        assertThat(Files.size(weights)).isLessThanOrEqualTo(MAX_BYTES);
    }

    /**
     * The held-out split bundled for checkouts without the corpus is the text training/evaluate.py
     * scored: encoded as moe quality encodes it, each domain's token count gives the count of
     * predicted tokens training/eval.json records over evaluate.py's windows.
     */
    @Test
    void theBundledHeldOutSplitIsTheTextTheTrainingEvaluated() throws IOException {
        JsonNode evaluated = Json.MAPPER.readTree(Path.of("..", "training", "eval.json").toFile());
        int window = Json.MAPPER.readTree(MODEL.resolve("config.json").toFile()).get("max_position_embeddings").intValue();
        HeldOutSequences heldOut;
        try (ModelTokenizer tokenizer = ModelTokenizer.load(MODEL).orElseThrow()) {
            heldOut = HeldOutSequences.of(CorpusSplit.heldOutOnly(MODEL.resolve(CorpusTokensCommand.HELD_OUT_DIR)),
                    tokenizer, 0, window, 1);
        }

        assertThat(heldOut.domains()).extracting(HeldOutSequences.Domain::name)
                .containsExactly("code", "government", "literature", "recipes", "reference");
        for (HeldOutSequences.Domain domain : heldOut.domains()) {
            assertThat(predicted(domain.heldOut().length, window)).as(domain.name())
                    .isEqualTo(evaluated.get(domain.name()).get("heldout_tokens_predicted").longValue());
        }
    }

    /** evaluate.py's windows: from 0 in steps of {@code window} below {@code tokens - 1}, each predicting all but its first token. */
    private static long predicted(int tokens, int window) {
        long predicted = 0;
        for (int start = 0; start < tokens - 1; start += window) {
            int length = Math.min(window, tokens - start);
            predicted += length > 1 ? length - 1 : 0;
        }
        return predicted;
    }

    @Test
    void scoreGivesTorchsLogProbabilities() throws IOException {
        Path out = dir.resolve("scores.jsonl");
        Moe moe = Moe.run("score", "--model", MODEL.toString(), "--tokens-file", tokensFile("sequences").toString(),
                "--backend", "java", "--output", out.toString());

        assertThat(moe.exitCode()).as(moe.err()).isZero();
        List<JsonNode> lines = jsonLines(out);
        assertThat(lines).hasSize(expected.get("sequences").size());
        for (int s = 0; s < lines.size(); s++) {
            JsonNode torch = expected.get("logprobs").get(s);
            JsonNode engine = lines.get(s).get("logprobs");
            assertThat(engine.get(0).isNull()).isTrue();
            for (int i = 1; i < torch.size(); i++) {
                assertThat(engine.get(i).doubleValue()).as("%s, token %d", expected.get("domains").get(s), i)
                        .isCloseTo(torch.get(i).doubleValue(), within(TOLERANCE));
            }
        }
    }

    @Test
    void generateContinuesAsTorchGreedily() throws IOException {
        Path out = dir.resolve("generated.jsonl");
        Moe moe = Moe.run("generate", "--model", MODEL.toString(), "--tokens-file", tokensFile("prompts").toString(),
                "--backend", "java", "--max-new-tokens", expected.get("max_new_tokens").toString(),
                "--output", out.toString());

        assertThat(moe.exitCode()).as(moe.err()).isZero();
        List<JsonNode> lines = jsonLines(out);
        for (int p = 0; p < lines.size(); p++) {
            assertThat(lines.get(p).get("tokens")).as("%s", expected.get("domains").get(p))
                    .isEqualTo(expected.get("greedy").get(p));
        }
    }

    private static Path tokensFile(String field) throws IOException {
        StringBuilder lines = new StringBuilder();
        expected.get(field).forEach(ids -> lines.append("{\"tokens\": ").append(ids).append("}\n"));
        return Files.writeString(dir.resolve(field + ".jsonl"), lines);
    }

    private static List<JsonNode> jsonLines(Path file) throws IOException {
        return Files.readAllLines(file).stream().filter(line -> !line.isBlank()).map(Json.MAPPER::readTree).toList();
    }
}
