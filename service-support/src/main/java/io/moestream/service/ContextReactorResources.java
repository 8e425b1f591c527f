package io.moestream.service;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.ReactorResourceFactory;

/**
 * Gives each service context its own Reactor Netty event loops. Boot's default uses the global
 * ones and disposes them when its context stops; in local mode, where the services are contexts
 * in one JVM, stopping one service (a restart) would leave the others' HTTP servers on disposed
 * loops, and their requests would hang.
 */
@Configuration(proxyBeanMethods = false)
public class ContextReactorResources {

    @Bean
    ReactorResourceFactory reactorResourceFactory() {
        ReactorResourceFactory factory = new ReactorResourceFactory();
        factory.setUseGlobalResources(false);
        return factory;
    }
}
