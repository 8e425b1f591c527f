package io.moestream.expert.service;

import io.moestream.pipeline.MoeSettings;
import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver;
import org.springframework.boot.context.properties.source.ConfigurationPropertyNameAliases;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.Environment;

/**
 * Binds {@code moe.*} to {@link MoeSettings}. The record's components {@code topicsPrefix}, {@code modelDir}
 * and {@code modelLayer} bind as {@code moe.topics-prefix}, {@code moe.model-dir} and {@code moe.model-layer},
 * while docs/PIPELINE.md names them {@code moe.topics.prefix}, {@code moe.model.dir} and
 * {@code moe.model.layer}; aliases make the documented names work (and the record's own ones still do).
 */
final class MoeSettingsBinding {

    private static final ConfigurationPropertyNameAliases DOCUMENTED_NAMES = new ConfigurationPropertyNameAliases();

    static {
        // An aliased source answers a look-up of the alias (the record's name) with the value of the name.
        DOCUMENTED_NAMES.addAliases("moe.topics.prefix", "moe.topics-prefix");
        DOCUMENTED_NAMES.addAliases("moe.model.dir", "moe.model-dir");
        DOCUMENTED_NAMES.addAliases("moe.model.layer", "moe.model-layer");
    }

    private MoeSettingsBinding() {
    }

    /** @throws IllegalStateException when {@code moe.model.dir} is not set */
    static MoeSettings bind(Environment environment) {
        List<ConfigurationPropertySource> aliased = new ArrayList<>();
        ConfigurationPropertySources.get(environment).forEach(source -> aliased.add(source.withAliases(DOCUMENTED_NAMES)));
        MoeSettings settings = new Binder(aliased, new PropertySourcesPlaceholdersResolver(environment))
                .bind("moe", MoeSettings.class)
                .orElse(null);
        if (settings == null || settings.modelDir() == null) {
            throw new IllegalStateException("moe.model.dir is required: the checkpoint directory (config.json + safetensors)");
        }
        return settings;
    }
}
