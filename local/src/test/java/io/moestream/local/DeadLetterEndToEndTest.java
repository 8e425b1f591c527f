package io.moestream.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.moestream.model.ModelConfig;
import io.moestream.wire.RequestSpan;
import io.moestream.wire.TokenBatch;
import io.moestream.wire.WireType;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Bad input lands on {@code dead-letter} with its reason, and the pipeline goes on serving. */
@ExtendWith(SharedStack.class)
class DeadLetterEndToEndTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static LocalStack stack;
    private static PipelineClient client;

    @BeforeAll
    static void connect(LocalStack shared) {
        stack = shared;
        client = new PipelineClient(stack);
    }

    @AfterAll
    static void disconnect() {
        client.close();
    }

    @Test
    void malformedJson() {
        client.send(stack.topics().layerPrompts(), "malformed", "{\"id\": \"malformed\", \"prompt\": "
                .getBytes(StandardCharsets.UTF_8));
        assertDeadLetter("malformed", stack.topics().layerPrompts());
        assertNextPromptCompletes();
    }

    @Test
    void emptyPrompt() {
        client.send(stack.topics().layerPrompts(), "empty", "{\"id\": \"empty\", \"prompt\": \"\"}"
                .getBytes(StandardCharsets.UTF_8));
        assertDeadLetter("empty", stack.topics().layerPrompts());
        assertNextPromptCompletes();
    }

    @Test
    void nanHiddenStateInATokenBatch() {
        int hidden = ModelConfig.read(stack.settings().modelDir()).orElseThrow().hiddenSize();
        float[] states = new float[2 * hidden];
        states[hidden + 3] = Float.NaN;
        TokenBatch batch = new TokenBatch("test-nan-r0-1", 0, System.currentTimeMillis(),
                List.of(new RequestSpan("nan", 0, 2, 0, 2)), hidden, states);
        client.send(new ProducerRecord<>(stack.topics().tokens(), 0, batch.batchId(), batch.toBytes(WireType.F32)));
        JsonNode letter = assertDeadLetter(batch.batchId(), stack.topics().tokens());
        assertThat(letter.path("reason").asString()).containsIgnoringCase("nan");
        assertNextPromptCompletes();
    }

    private static JsonNode assertDeadLetter(String key, String sourceTopic) {
        JsonNode letter = JSON.readTree(client.awaitDeadLetter(key));
        assertThat(letter.path("sourceTopic").asString()).as(letter.toString()).isEqualTo(sourceTopic);
        assertThat(letter.path("reason").asString()).as(letter.toString()).isNotBlank();
        assertThat(letter.path("service").asString()).as(letter.toString()).isNotBlank();
        return letter;
    }

    private static void assertNextPromptCompletes() {
        String id = "after-" + System.nanoTime();
        client.sendPrompt(id, "The pipeline goes on.");
        assertThat(client.awaitResult(id).status()).isEqualTo("ok");
    }
}
