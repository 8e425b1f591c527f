package io.moestream.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class ParallelStepTimeTest {

    @Test
    void aStepLastsAsLongAsItsBusiestRank() {
        ParallelStepTime time = new ParallelStepTime();
        time.add(List.of(3, 9, 1, 3));
        time.add(List.of(4, 4, 4, 4));

        assertThat(time.steps()).isEqualTo(2);
        assertThat(time.busiestRankRows()).isEqualTo(13);
        assertThat(time.rows()).isEqualTo(32);
        assertThat(time.seconds(0.5)).isEqualTo(6.5);
    }

    @Test
    void capacityShortensTheStepByTheBusiestRanksExcess() {
        ParallelStepTime dropless = new ParallelStepTime();
        dropless.add(List.of(10, 2, 2, 2));
        ParallelStepTime capped = new ParallelStepTime();
        capped.add(List.of(6, 2, 2, 2));

        assertThat(capped.speedUpOver(dropless)).isCloseTo(10.0 / 6, within(1e-12));
        assertThat(dropless.speedUpOver(dropless)).isEqualTo(1.0);
    }

    @Test
    void refusesWhatIsNoStep() {
        ParallelStepTime time = new ParallelStepTime();

        assertThatThrownBy(() -> time.add(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> time.add(List.of(1, -1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> time.speedUpOver(time)).isInstanceOf(IllegalStateException.class);
    }
}
