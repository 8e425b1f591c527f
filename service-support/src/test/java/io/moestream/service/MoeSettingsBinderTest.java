package io.moestream.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import io.moestream.pipeline.MoeSettings;
import io.moestream.wire.WireType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

class MoeSettingsBinderTest {

    @Test
    void bindsTheNamesOfPipelineMd() {
        MockEnvironment environment = new MockEnvironment()
                .withProperty("moe.topics.prefix", "t.")
                .withProperty("moe.model.dir", "/models/tiny")
                .withProperty("moe.model.layer", "3")
                .withProperty("moe.ranks", "2")
                .withProperty("moe.placement", "0,1,1,0")
                .withProperty("moe.wire-type", "bf16")
                .withProperty("moe.routing.capacity-factor", "1.5");

        MoeSettings settings = MoeSettingsBinder.bind(environment);

        assertThat(settings).isEqualTo(new MoeSettings("t.", Path.of("/models/tiny"), 3, 2, List.of(0, 1, 1, 0),
                WireType.BF16, Map.of("capacity-factor", "1.5")));
    }

    @Test
    void defaultsAllButTheModelDirectory() {
        MoeSettings settings = MoeSettingsBinder.bind(new MockEnvironment().withProperty("moe.model.dir", "m"));

        assertThat(settings).isEqualTo(new MoeSettings(null, Path.of("m"), 0, 1, null, null, null));
        assertThatIllegalStateException().isThrownBy(() -> MoeSettingsBinder.bind(new MockEnvironment()))
                .withMessageContaining("moe.model.dir is required");
    }
}
