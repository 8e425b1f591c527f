package io.moestream.local;

import io.moestream.pipeline.MoeSettings;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** {@link MoeSettings} as the {@code moe.*} properties every service reads (docs/PIPELINE.md). */
final class MoeProperties {

    private MoeProperties() {
    }

    static Map<String, String> of(MoeSettings settings) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("moe.topics.prefix", settings.topicsPrefix());
        properties.put("moe.model.dir", settings.modelDir().toAbsolutePath().toString());
        properties.put("moe.model.layer", Integer.toString(settings.modelLayer()));
        properties.put("moe.ranks", Integer.toString(settings.ranks()));
        if (!settings.placement().isEmpty()) {
            properties.put("moe.placement",
                    settings.placement().stream().map(String::valueOf).collect(Collectors.joining(",")));
        }
        properties.put("moe.wire-type", settings.wireType().name().toLowerCase(Locale.ROOT));
        settings.routing().forEach((name, value) -> properties.put("moe.routing." + name, value));
        return properties;
    }
}
