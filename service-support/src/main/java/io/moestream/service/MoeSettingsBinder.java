package io.moestream.service;

import io.moestream.pipeline.MoeSettings;
import io.moestream.wire.WireType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * Binds the {@code moe.*} settings every service shares under the names docs/PIPELINE.md gives
 * them ({@code moe.topics.prefix}, {@code moe.model.dir}, {@code moe.model.layer}, {@code moe.ranks},
 * {@code moe.placement}, {@code moe.wire-type}, {@code moe.routing.*}). {@link MoeSettings} is flat
 * and Spring-free, so bound as it is it would answer to {@code moe.model-dir}; this nested shape
 * is the one place that maps the documented names onto it.
 */
public final class MoeSettingsBinder {

    private MoeSettingsBinder() {
    }

    /** Package-private, not private: the binder constructs these reflectively. */
    record Properties(Topics topics, Model model, int ranks, List<Integer> placement, WireType wireType,
                              Map<String, String> routing) {
    }

    record Topics(String prefix) {
    }

    record Model(Path dir, int layer) {
    }

    /** @throws IllegalStateException when {@code moe.model.dir} is not set */
    public static MoeSettings bind(Environment environment) {
        Properties p = Binder.get(environment).bind("moe", Properties.class).orElse(null);
        if (p == null || p.model() == null || p.model().dir() == null) {
            throw new IllegalStateException("moe.model.dir is required: the checkpoint directory (config.json and "
                    + "safetensors) of the model");
        }
        return new MoeSettings(p.topics() == null ? null : p.topics().prefix(), p.model().dir(), p.model().layer(),
                p.ranks(), p.placement(), p.wireType(), p.routing());
    }
}
