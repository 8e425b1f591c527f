package io.moestream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.moestream.cli.StepPlan.Step;
import java.util.List;
import org.junit.jupiter.api.Test;

class StepPlanTest {

    @Test
    void packsPromptsRoundRobinIntoFullStepsPerRankAndSplitsPromptsAcrossSteps() {
        // hidden 1: each value is a token; prompts 0 and 2 go to rank 0, prompt 1 to rank 1.
        List<float[]> prompts = List.of(new float[] {1, 2, 3}, new float[] {4, 5}, new float[] {6, 7, 8, 9});

        List<Step> steps = StepPlan.of(prompts, 1, 2, 2);

        assertThat(steps).extracting(Step::sourceRank).containsExactly(0, 0, 0, 0, 1);
        assertThat(steps).extracting(Step::tokens).containsExactly(2, 2, 2, 1, 2);
        assertThat(steps.get(1).x()).containsExactly(3, 6);
        assertThat(steps.get(3).x()).containsExactly(9);
        assertThat(steps.get(4).x()).containsExactly(4, 5);
    }
}
