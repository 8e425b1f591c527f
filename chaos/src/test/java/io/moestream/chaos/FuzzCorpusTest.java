package io.moestream.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.moestream.pipeline.Topics;
import io.moestream.wire.BatchPart;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.TokenBatch;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The corpus is reproducible, its keys trace every record, and its wire records are broken as their names say. */
class FuzzCorpusTest {

    private static final int HIDDEN = 16;
    private final Topics topics = new Topics("t.");
    private final FuzzCorpus corpus = new FuzzCorpus(topics, HIDDEN, 1, 64, 11);

    @Test
    void aRoundIsAFunctionOfTheSeedAndItsNumber() {
        List<FuzzCase> once = corpus.round(3);
        List<FuzzCase> again = new FuzzCorpus(topics, HIDDEN, 1, 64, 11).round(3);
        List<FuzzCase> otherSeed = new FuzzCorpus(topics, HIDDEN, 1, 64, 12).round(3);

        assertThat(again).hasSameSizeAs(once);
        for (int i = 0; i < once.size(); i++) {
            assertThat(again.get(i).name()).isEqualTo(once.get(i).name());
            assertThat(again.get(i).key()).isEqualTo(once.get(i).key());
            if (!once.get(i).name().startsWith("tokens/") && !once.get(i).name().startsWith("expert/")
                    && !once.get(i).name().startsWith("outputs/")) {
                // Wire records carry the time they were made, as the gateway's do; JSON does not.
                assertThat(again.get(i).value()).as(once.get(i).name()).isEqualTo(once.get(i).value());
            }
        }
        assertThat(value(otherSeed, "prompts/random-bytes")).isNotEqualTo(value(once, "prompts/random-bytes"));
    }

    @Test
    void namesAreUniqueAndKeysAndTraceKeysBelongToTheirRound() {
        List<FuzzCase> round = corpus.round(0);
        assertThat(round).extracting(FuzzCase::name).doesNotHaveDuplicates();
        assertThat(round).extracting(FuzzCase::kind).containsOnly("prompts", "control", "tokens", "expert", "outputs");
        assertThat(round).extracting(FuzzCase::topic).contains(topics.layerPrompts(), topics.control(), topics.tokens(),
                topics.expert(0), topics.expertOutputs());
        List<String> keys = round.stream().map(FuzzCase::key).filter(Objects::nonNull)
                .map(k -> new String(k, StandardCharsets.UTF_8)).filter(k -> k.startsWith(FuzzCorpus.KEY_PREFIX))
                .toList();
        assertThat(keys).doesNotHaveDuplicates().allMatch(k -> k.startsWith("fuzz-0-"));
        assertThat(corpus.round(1).stream().map(FuzzCase::traceKey).filter(Objects::nonNull))
                .isNotEmpty().allMatch(k -> k.startsWith("fuzz-1-"));
    }

    @Test
    void wireRecordsFailToDecodeOrCarryTheFaultTheirNameGives() {
        List<FuzzCase> round = corpus.round(0);
        for (String name : List.of("tokens/wrong-magic", "tokens/wrong-version", "tokens/wrong-type",
                "tokens/truncated", "tokens/header-only", "tokens/trailing-bytes", "tokens/huge-length",
                "tokens/empty-value", "tokens/null-value")) {
            assertThatThrownBy(() -> TokenBatch.fromBytes(value(round, name))).as(name)
                    .isInstanceOf(RuntimeException.class);
        }
        for (String name : List.of("outputs/manifest-wrong-magic", "outputs/manifest-truncated",
                "outputs/rows-truncated", "outputs/unknown-type", "outputs/manifest-decreasing-slots",
                "outputs/manifest-nan-weight", "outputs/manifest-wrong-type")) {
            assertThatThrownBy(() -> BatchPart.fromBytes(value(round, name))).as(name)
                    .isInstanceOf(RuntimeException.class);
        }
        decoded(round, "tokens/wrong-hidden", TokenBatch::fromBytes, b -> assertThat(b.hidden()).isEqualTo(HIDDEN + 1));
        decoded(round, "tokens/nan-state", TokenBatch::fromBytes,
                b -> assertThat(IntStream.range(0, b.states().length).filter(i -> Float.isNaN(b.states()[i])))
                        .hasSize(1));
        decoded(round, "expert/wrong-topic", ExpertRows::fromBytes, r -> assertThat(r.expert()).isEqualTo(1));
        decoded(round, "expert/no-rows", ExpertRows::fromBytes, r -> assertThat(r.tokens()).isEmpty());
        decoded(round, "outputs/rows-wrong-hidden", ExpertRows::fromBytes,
                r -> assertThat(r.hidden()).isEqualTo(HIDDEN + 1));
        FuzzCase huge = round.stream().filter(c -> c.name().equals("prompts/past-broker-limit")).findFirst()
                .orElseThrow();
        assertThat(huge.value().length).isGreaterThan(1 << 20);
        assertThat(huge.expect()).isEqualTo(FuzzCase.Expect.REFUSED_BY_BROKER);
    }

    @Test
    void theCommittedListNamesEveryCase() throws IOException {
        String list = Files.readString(Path.of("FUZZ-CASES.md"));
        assertThat(corpus.round(0)).allSatisfy(c -> assertThat(list).contains("`" + c.name() + "`"));
    }

    private static <T> void decoded(List<FuzzCase> round, String name, Function<byte[], T> decode,
                                    Consumer<T> check) {
        check.accept(decode.apply(value(round, name)));
    }

    private static byte[] value(List<FuzzCase> round, String name) {
        return round.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow().value();
    }
}
