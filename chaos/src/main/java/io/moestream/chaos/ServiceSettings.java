package io.moestream.chaos;

import io.moestream.gateway.GatewaySettings;
import io.moestream.pipeline.MoeSettings;
import io.moestream.service.MoeSettingsBinder;
import java.util.HashMap;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.support.SpringApplicationJsonEnvironmentPostProcessor;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * The settings a service binds from its environment, bound here the way the service binds them
 * (relaxed names, {@code SPRING_APPLICATION_JSON}, {@link MoeSettingsBinder}), so that the harness's
 * reference computation and its waits use exactly what the services run with.
 */
final class ServiceSettings {

    private ServiceSettings() {
    }

    static MoeSettings moe(Map<String, String> environment) {
        return MoeSettingsBinder.bind(springEnvironment(environment));
    }

    static GatewaySettings gateway(Map<String, String> environment) {
        return Binder.get(springEnvironment(environment)).bindOrCreate("moe.gateway", GatewaySettings.class);
    }

    /** An environment with nothing but {@code variables}: not this JVM's system properties or variables. */
    private static StandardEnvironment springEnvironment(Map<String, String> variables) {
        StandardEnvironment environment = new StandardEnvironment();
        MutablePropertySources sources = environment.getPropertySources();
        sources.remove(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);
        String name = StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME;
        sources.replace(name, new SystemEnvironmentPropertySource(name, new HashMap<String, Object>(variables)));
        new SpringApplicationJsonEnvironmentPostProcessor()
                .postProcessEnvironment(environment, new SpringApplication());
        return environment;
    }
}
