package io.moestream.local;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A REST client on one kept-alive connection that polls for its result right after posting its
 * prompt, as a script or an SDK does. With Reactor Netty 1.3.7's default, about one such round in
 * three left the connection unread and the poll unanswered (reactor-netty#4361), so many rounds
 * in a row catch it.
 */
@ExtendWith(SharedStack.class)
class RestKeepAliveEndToEndTest {

    private static final int ROUNDS = 20;

    private static PipelineClient client;

    @BeforeAll
    static void connect(LocalStack stack) {
        client = new PipelineClient(stack);
    }

    @AfterAll
    static void disconnect() {
        client.close();
    }

    @Test
    void everyPollRightAfterAPostIsAnswered() {
        for (int round = 0; round < ROUNDS; round++) {
            String id = "keep-alive-" + round;
            assertThat(client.postPrompt(id, "Poll me as soon as you have taken me.")).isEqualTo(202);
            assertThat(client.getResult(id).json().path("status").asString()).as(id).isEqualTo("ok");
        }
    }
}
