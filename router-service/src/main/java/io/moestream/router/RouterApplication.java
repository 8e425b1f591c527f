package io.moestream.router;

import io.moestream.service.ContextReactorResources;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.PropertySource;

/**
 * The router service: {@code tokens} in, each expert's rows and the routing manifest out. Every
 * bean is per context, so {@code ./moe local} can start it next to the other services in one JVM.
 */
@SpringBootApplication
@Import(ContextReactorResources.class)
@PropertySource("classpath:moe-router-defaults.properties")
public class RouterApplication {

    public static void main(String[] args) {
        SpringApplication.run(RouterApplication.class, args);
    }
}
