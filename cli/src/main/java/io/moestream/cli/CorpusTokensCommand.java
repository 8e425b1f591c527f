package io.moestream.cli;

import io.moestream.text.BpeTrainer;
import io.moestream.text.ModelTokenizer;
import io.moestream.text.TrainedBpe;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code moe corpus-tokens}: the tokenizer and the token ids a model is trained on, made by the
 * same code that encodes at inference, so the ids training sees are the ids the engine feeds it.
 */
@Command(name = "corpus-tokens",
        description = {
            "Splits a corpus (one directory per domain, .txt files in it) into train and",
            "held-out parts, learns a byte-level BPE tokenizer on the train part only, and",
            "writes OLMoE's special tokens (<|endoftext|> = 0 ends documents and",
            "generation, <|padding|> = 1; no BOS, as OLMoE's tokenizer adds none):",
            "  tokenizer.json, tokenizer_config.json   the model's tokenizer",
            "  DOMAIN.train.bin, DOMAIN.heldout.bin    token ids, uint16 little-endian,",
            "                                          each file's text then <|endoftext|>",
            "  held-out/DOMAIN/FILE                    each file's held-out text itself, as",
            "                                          moe quality and moe demo read it",
            "                                          without the corpus",
            "  split.json                              characters and tokens per file",
            "Ids come from the Hugging Face tokenizers library loading the written",
            "tokenizer.json, as ./moe score encodes; every file is also encoded by the",
            "trainer's own encoder, and any difference stops the command.",
            "",
            "Split: each file's tail from the first blank line at or after",
            "(1 - held-out share) of its characters is held out.",
            ""})
final class CorpusTokensCommand implements Callable<Integer> {

    static final List<String> SPECIAL_TOKENS = List.of("<|endoftext|>", "<|padding|>");
    private static final String EOS = "<|endoftext|>";
    private static final String PAD = "<|padding|>";
    private static final int UINT16_IDS = 1 << 16;
    /** Where the held-out text goes, under --out. */
    static final String HELD_OUT_DIR = "held-out";

    @Spec
    CommandSpec spec;

    @Option(names = "--corpus", required = true, paramLabel = "DIR", description = "One directory per domain.")
    Path corpus;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write (created).")
    Path out;

    @Option(names = "--vocab-size", defaultValue = "4096", paramLabel = "N",
            description = "Tokens in the vocabulary, the two special tokens and 256 bytes included.")
    int vocabularySize;

    @Option(names = "--held-out", defaultValue = "0.05", paramLabel = "SHARE",
            description = "Share of each file's characters, from its end, held out.")
    double heldOutShare;

    @Option(names = "--max-length", defaultValue = "512", paramLabel = "N",
            description = "model_max_length for tokenizer_config.json (the training context).")
    int maxLength;

    @Override
    public Integer call() throws IOException {
        if (vocabularySize > UINT16_IDS) {
            throw new UserError("--vocab-size must be at most " + UINT16_IDS + " for uint16 token ids, got " + vocabularySize);
        }
        CorpusSplit split = CorpusSplit.of(corpus, heldOutShare);
        TrainedBpe bpe;
        try {
            bpe = BpeTrainer.train(split.trainTexts(), vocabularySize, SPECIAL_TOKENS);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
        Files.createDirectories(out);
        bpe.writeTokenizerJson(out.resolve(ModelTokenizer.FILE), null);
        Files.writeString(out.resolve("tokenizer_config.json"), Json.MAPPER.writerWithDefaultPrettyPrinter()
                .writeValueAsString(tokenizerConfig()) + "\n", StandardCharsets.UTF_8);
        ObjectNode report = Json.MAPPER.createObjectNode();
        report.put("corpus", corpus.toString());
        report.put("held_out_share", heldOutShare);
        report.put("vocab_size", bpe.vocabularySize());
        report.put("eos_token_id", bpe.tokenId(EOS));
        ArrayNode files = report.putArray("files");
        try (ModelTokenizer tokenizer = ModelTokenizer.load(out).orElseThrow()) {
            Encoder encoder = new Encoder(tokenizer, bpe, tokenizer.tokenId(EOS).orElseThrow(), files);
            for (String domain : split.domains()) {
                List<CorpusSplit.Part> parts = split.parts().stream().filter(p -> p.domain().equals(domain)).toList();
                writeUint16(out.resolve(domain + ".train.bin"), encoder.encode(parts, "train", CorpusSplit.Part::train));
                writeUint16(out.resolve(domain + ".heldout.bin"), encoder.encode(parts, "heldout", CorpusSplit.Part::heldOut));
            }
        }
        split.writeHeldOut(out.resolve(HELD_OUT_DIR));
        Files.writeString(out.resolve("split.json"),
                Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(report) + "\n", StandardCharsets.UTF_8);
        printSummary(report);
        return 0;
    }

    /** Encodes the parts' texts of one split, recording each file's figures in {@code report}. */
    private record Encoder(ModelTokenizer tokenizer, TrainedBpe bpe, int eos, ArrayNode report) {

        /**
         * Each text's ids through the library, then EOS, concatenated; a text the trainer's encoder
         * tokenizes differently stops the command, since then training and inference would disagree.
         */
        int[] encode(List<CorpusSplit.Part> parts, String splitName, Function<CorpusSplit.Part, String> text) {
            TokenIds all = new TokenIds();
            for (CorpusSplit.Part part : parts) {
                String content = text.apply(part);
                int[] ids = tokenizer.encode(content);
                int[] trainer = bpe.encode(content);
                if (!Arrays.equals(ids, trainer)) {
                    throw new IllegalStateException(part.file() + " (" + splitName + "): the tokenizers library and the"
                            + " BPE trainer's encoder give different ids, first at position " + Arrays.mismatch(ids, trainer));
                }
                all.add(ids);
                all.add(new int[] {eos});
                report.addObject()
                        .put("domain", part.domain())
                        .put("file", part.file().getFileName().toString())
                        .put("split", splitName)
                        .put("characters", content.length())
                        .put("tokens", ids.length + 1);
            }
            return all.toArray();
        }
    }

    private ObjectNode tokenizerConfig() {
        ObjectNode config = Json.MAPPER.createObjectNode();
        config.put("add_bos_token", false);
        config.put("add_eos_token", false);
        config.put("clean_up_tokenization_spaces", false);
        config.put("eos_token", EOS);
        config.put("model_max_length", maxLength);
        config.put("pad_token", PAD);
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        return config;
    }

    private static void writeUint16(Path file, int[] ids) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate(ids.length * Short.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int id : ids) {
            bytes.putShort((short) id);
        }
        Files.write(file, bytes.array());
    }

    private void printSummary(ObjectNode report) {
        PrintWriter console = spec.commandLine().getOut();
        Map<String, long[]> totals = new LinkedHashMap<>();
        report.get("files").forEach(file -> {
            long[] sums = totals.computeIfAbsent(file.get("domain").stringValue() + " " + file.get("split").stringValue(),
                    key -> new long[2]);
            sums[0] += file.get("characters").longValue();
            sums[1] += file.get("tokens").longValue();
        });
        console.printf("vocabulary %d tokens, written to %s%n", report.get("vocab_size").intValue(), out);
        totals.forEach((key, sums) -> console.printf("%-22s %,12d characters %,10d tokens  %.2f characters/token%n",
                key, sums[0], sums[1], (double) sums[0] / sums[1]));
    }

    /** A growable int array. */
    private static final class TokenIds {
        private int[] values = new int[1 << 16];
        private int size;

        void add(int[] ids) {
            if (size + ids.length > values.length) {
                values = Arrays.copyOf(values, Math.max(values.length * 2, size + ids.length));
            }
            System.arraycopy(ids, 0, values, size, ids.length);
            size += ids.length;
        }

        int[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
