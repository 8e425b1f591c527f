package io.moestream.expert.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import io.moestream.generate.ModelGenerator;
import io.moestream.generate.ModelSpec;
import io.moestream.generate.Preset;
import io.moestream.generate.Scale;
import io.moestream.kernels.KernelBackend;
import io.moestream.pipeline.MoeSettings;
import io.moestream.pipeline.TopicLayout;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RankExpertsTest {

    @TempDir
    static Path models;

    @BeforeAll
    static void generateModels() {
        ModelGenerator.generate(ModelSpec.of(Preset.MIXTRAL_LIKE, Scale.TINY).withVocabSize(512), mixtral());
        ModelGenerator.generate(ModelSpec.of(Preset.QWEN_MOE_LIKE, Scale.TINY).withVocabSize(512), qwen());
    }

    @Test
    void hostsTheExpertsThePlacementGivesTheRank() {
        RankExperts contiguous = RankExperts.load(moe(mixtral(), 2, List.of()), expert(1, false));
        RankExperts explicit = RankExperts.load(moe(mixtral(), 2, List.of(0, 1, 0, 1, 0, 1, 0, 1)), expert(1, false));

        assertThat(contiguous.ids()).containsExactly(4, 5, 6, 7);
        assertThat(contiguous.hidden()).isEqualTo(128);
        assertThat(contiguous.layout()).isEqualTo(new TopicLayout(2, 8, 0, 1));
        assertThat(explicit.ids()).containsExactly(1, 3, 5, 7);
    }

    @Test
    void hostsTheSharedExpertUnderItsWireIdOnlyWhenAskedTo() {
        MoeSettings moe = moe(qwen(), 4, List.of());

        RankExperts with = RankExperts.load(moe, expert(3, true));
        RankExperts without = RankExperts.load(moe, expert(3, false));

        assertThat(with.ids()).hasSize(16).contains(45, 59, -1);
        assertThat(without.ids()).hasSize(15).doesNotContain(-1);
        assertThat(with.layout()).isEqualTo(new TopicLayout(4, 60, 1, 1));
    }

    @Test
    void refusesARankThePlacementDoesNotHave() {
        assertThatIllegalStateException().isThrownBy(() -> RankExperts.load(moe(mixtral(), 2, List.of()), expert(2, false)))
                .withMessageContaining("moe.expert.rank 2 is not a rank");
    }

    private static MoeSettings moe(Path model, int ranks, List<Integer> placement) {
        return new MoeSettings(null, model, 0, ranks, placement, null, null);
    }

    private static ExpertSettings expert(int rank, boolean shared) {
        return new ExpertSettings(rank, shared, KernelBackend.JAVA, 0, 1);
    }

    private static Path mixtral() {
        return models.resolve("mixtral");
    }

    private static Path qwen() {
        return models.resolve("qwen");
    }
}
