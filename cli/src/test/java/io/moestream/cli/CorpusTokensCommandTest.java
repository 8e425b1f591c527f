package io.moestream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.moestream.text.BpeTrainer;
import io.moestream.text.ModelTokenizer;
import io.moestream.text.TrainedBpe;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code moe corpus-tokens} on a small two-domain corpus of excerpts from the training corpus
 * (Faraday's lectures and SQLite's source, both public domain): the split, the tokenizer learned
 * on the train part only, and token ids equal to what the BPE trainer's own encoder gives.
 */
class CorpusTokensCommandTest {

    private static final String PROSE = """
            Mr. Field, of Lambeth, has supplied me abundantly with beautiful
            illustrations of the candle and its materials. I shall therefore now refer
            to them. And, first, there is the suet--the fat of the ox--Russian tallow,
            I believe, employed in the manufacture of these dips.

            A candle, you know, is not now a greasy thing like an ordinary tallow candle,
            but a clean thing, and you may almost scrape off and pulverise the drops which
            fall from it without soiling anything.

            And how are these candles made? I have told you about dips, and I will
            shew you how moulds are made. Let us imagine any of these candles to be
            made of materials which can be cast. "Cast!" you say.

            Wax is a thing which, burning so well, and melting so easily in a candle,
            cannot be cast. However, let us take a material that can be cast.

            zyzzyva zyzzyva zyzzyva zyzzyva zyzzyva zyzzyva zyzzyva zyzzyva zyzzyva
            """;

    private static final String CODE = """
            /*
            ** Constants for the largest and smallest possible 64-bit signed integers.
            ** These macros are designed to work correctly on both 32-bit and 64-bit
            ** compilers.
            */
            #define LARGEST_INT64  (0xffffffff|(((i64)0x7fffffff)<<32))
            #define SMALLEST_INT64 (((i64)-1) - LARGEST_INT64)

            /*
            ** Round up a number to the next larger multiple of 8.  This is used
            ** to force 8-byte alignment on 64-bit architectures.
            */
            #define ROUND8(x)     (((x)+7)&~7)

            /*
            ** Round down to the nearest multiple of 8
            */
            #define ROUNDDOWN8(x) ((x)&~7)
            """;

    private static final int VOCABULARY = 400;

    @TempDir
    static Path dir;

    static Path out;
    static Moe moe;

    @BeforeAll
    static void run() throws IOException {
        Path corpus = dir.resolve("corpus");
        Files.createDirectories(corpus.resolve("prose"));
        Files.createDirectories(corpus.resolve("code"));
        Files.writeString(corpus.resolve("prose").resolve("faraday.txt"), PROSE);
        Files.writeString(corpus.resolve("code").resolve("sqlite.h.txt"), CODE);
        out = dir.resolve("out");
        moe = Moe.run("corpus-tokens", "--corpus", corpus.toString(), "--out", out.toString(),
                "--vocab-size", String.valueOf(VOCABULARY), "--held-out", "0.25");
    }

    @Test
    void holdsOutEachFilesTailFromABlankLine() throws IOException {
        assertThat(moe.exitCode()).as(moe.err()).isZero();
        for (String[] file : new String[][] {{"prose", "faraday.txt", PROSE}, {"code", "sqlite.h.txt", CODE}}) {
            String text = file[2];
            String heldOut = Files.readString(heldOut(file[0], file[1]));
            int cut = text.length() - heldOut.length();

            assertThat(text).endsWith(heldOut);
            assertThat(text.substring(0, cut)).as("held out from a paragraph start").endsWith("\n\n");
            assertThat(cut - 2).as("the first blank line at or after 75% of the file")
                    .isEqualTo(text.indexOf("\n\n", (int) (text.length() * 0.75)));
        }
    }

    @Test
    void learnsTheVocabularyFromTheTrainPartOnly() {
        try (ModelTokenizer tokenizer = ModelTokenizer.load(out).orElseThrow()) {
            assertThat(tokenizer.vocabularySize()).isEqualTo(VOCABULARY);
            assertThat(tokenizer.tokenId("Ġcandle")).as("frequent in the train part").isPresent();
            assertThat(tokenizer.tokenId("Ġzyzzyva")).as("frequent, but held out only").isEmpty();
            assertThat(tokenizer.tokenId("<|endoftext|>")).hasValue(0);
            assertThat(tokenizer.encode("a candle")).as("no BOS, as OLMoE").containsExactly(
                    tokenizer.encodeWithoutSpecialTokens("a candle"));
        }
    }

    @Test
    void writesWhatTheTrainersOwnEncoderGivesThenEndOfText() throws IOException {
        String proseTrain = PROSE.substring(0, PROSE.indexOf("\n\n", (int) (PROSE.length() * 0.75)));
        String codeTrain = CODE.substring(0, CODE.indexOf("\n\n", (int) (CODE.length() * 0.75)));
        // Domains in name order: code, then prose.
        TrainedBpe bpe = BpeTrainer.train(List.of(codeTrain, proseTrain), VOCABULARY, CorpusTokensCommand.SPECIAL_TOKENS);

        assertThat(uint16(out.resolve("prose.train.bin"))).containsExactly(withEndOfText(bpe.encode(proseTrain)));
        assertThat(uint16(out.resolve("code.train.bin"))).containsExactly(withEndOfText(bpe.encode(codeTrain)));
        String proseHeldOut = Files.readString(heldOut("prose", "faraday.txt"));
        assertThat(uint16(out.resolve("prose.heldout.bin"))).containsExactly(withEndOfText(bpe.encode(proseHeldOut)));
    }

    @Test
    void reportsCharactersAndTokensPerFileAndSplit() throws IOException {
        JsonNode split = Json.MAPPER.readTree(out.resolve("split.json").toFile());

        assertThat(split.get("vocab_size").intValue()).isEqualTo(VOCABULARY);
        assertThat(split.get("eos_token_id").intValue()).isZero();
        assertThat(split.get("files")).hasSize(4);
        for (JsonNode file : split.get("files")) {
            Path bin = out.resolve(file.get("domain").stringValue() + "." + file.get("split").stringValue() + ".bin");
            assertThat(Files.size(bin)).isEqualTo(2L * file.get("tokens").intValue());
        }
    }

    @Test
    void refusesAFileWithoutABlankLineInItsTail() throws IOException {
        Path corpus = dir.resolve("flat");
        Files.createDirectories(corpus.resolve("prose"));
        Path file = Files.writeString(corpus.resolve("prose").resolve("one.txt"), "one paragraph\nwith two lines\n");

        Moe refused = Moe.run("corpus-tokens", "--corpus", corpus.toString(), "--out", dir.resolve("flat-out").toString());

        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.err()).contains(file.toString()).contains("no paragraph boundary");
    }

    private static Path heldOut(String domain, String file) {
        return out.resolve(CorpusTokensCommand.HELD_OUT_DIR).resolve(domain).resolve(file);
    }

    @Test
    void theHeldOutTextReadsBackAsTheSplitsHeldOutPart() {
        CorpusSplit split = CorpusSplit.of(dir.resolve("corpus"), 0.25);
        CorpusSplit written = CorpusSplit.heldOutOnly(out.resolve(CorpusTokensCommand.HELD_OUT_DIR));

        assertThat(written.domains()).isEqualTo(split.domains());
        assertThat(written.parts()).extracting(CorpusSplit.Part::domain, p -> p.file().getFileName(),
                        CorpusSplit.Part::heldOut)
                .containsExactlyElementsOf(split.parts().stream().map(p -> tuple(p.domain(), p.file().getFileName(), p.heldOut()))
                        .toList());
    }

    private static int[] uint16(Path file) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        return IntStream.range(0, bytes.capacity() / 2).map(i -> Short.toUnsignedInt(bytes.getShort(2 * i))).toArray();
    }

    private static int[] withEndOfText(int[] ids) {
        return IntStream.concat(IntStream.of(ids), IntStream.of(0)).toArray();
    }
}
