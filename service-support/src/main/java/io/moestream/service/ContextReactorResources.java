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

    /**
     * Reactor Netty 1.3.7 (Boot 4.1.1's) stops reading a keep-alive connection whose next request
     * arrives before the previous response, completed off the event loop, has terminated
     * (reactor-netty#4361): a client that polls {@code GET /v1/results/{id}} right after
     * {@code POST /v1/prompts} then waits forever. This flag makes the server terminate the previous
     * response before it reads on, which closes that path. Reactor Netty reads it once, when its
     * HTTP server classes load, so it is set here, before any server of this JVM starts; a value
     * given on the command line wins. Drop it with a Reactor Netty that carries the fix.
     */
    static final String TERMINATE_BEFORE_NEXT_REQUEST = "reactor.netty.http.server.lastFlushWhenNoRead";

    @Bean
    ReactorResourceFactory reactorResourceFactory() {
        if (System.getProperty(TERMINATE_BEFORE_NEXT_REQUEST) == null) {
            System.setProperty(TERMINATE_BEFORE_NEXT_REQUEST, "true");
        }
        ReactorResourceFactory factory = new ReactorResourceFactory();
        factory.setUseGlobalResources(false);
        return factory;
    }
}
