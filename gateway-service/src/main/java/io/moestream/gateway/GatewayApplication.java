package io.moestream.gateway;

import io.moestream.service.ContextReactorResources;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.PropertySource;

/** The gateway service: prompts in, token batches out, expert outputs reassembled into results. */
@SpringBootApplication
@Import(ContextReactorResources.class)
@PropertySource("classpath:moe-gateway-defaults.properties")
public class GatewayApplication {

    public static void main(String[] args) {
        SpringApplication.run(GatewayApplication.class, args);
    }
}
