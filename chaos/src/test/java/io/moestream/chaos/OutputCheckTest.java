package io.moestream.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.moestream.generate.ModelGenerator;
import io.moestream.generate.ModelSpec;
import io.moestream.generate.Preset;
import io.moestream.generate.Scale;
import io.moestream.local.ReferenceLayer;
import io.moestream.model.ModelConfig;
import io.moestream.pipeline.MoeSettings;
import io.moestream.wire.RequestSpan;
import io.moestream.wire.TokenBatch;
import io.moestream.wire.WireType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputCheckTest {

    private static TokenBatch batch(String id, long createdAt, int hidden, RequestSpan... spans) {
        int tokens = 0;
        for (RequestSpan span : spans) {
            tokens = Math.max(tokens, span.firstToken() + span.tokenCount());
        }
        float[] states = new float[tokens * hidden];
        Random random = new Random(id.hashCode());
        for (int i = 0; i < states.length; i++) {
            states[i] = (float) random.nextGaussian();
        }
        return new TokenBatch(id, 0, createdAt, List.of(spans), hidden, states);
    }

    private static List<OutputCheck.Part> parts(String request, TokenBatch... batches) {
        List<OutputCheck.Part> parts = new ArrayList<>();
        for (TokenBatch batch : batches) {
            parts.add(new OutputCheck.Part(batch, ReferenceLayer.spanOf(batch, request)));
        }
        return parts;
    }

    @Test
    void aRequestBatchedTwiceHasTwoBatchingsAndAnIncompleteOneNone() {
        // First batching: 5 tokens over two batches; the gateway restarted and batched the prompt again in one.
        TokenBatch first = batch("gw1-r0-0", 100, 4, new RequestSpan("x", 0, 2, 0, 2),
                new RequestSpan("r", 2, 3, 0, 5));
        TokenBatch second = batch("gw1-r0-1", 101, 4, new RequestSpan("r", 0, 2, 3, 5));
        TokenBatch again = batch("gw2-r0-0", 900, 4, new RequestSpan("r", 0, 5, 0, 5));
        TokenBatch cut = batch("gw3-r0-0", 1000, 4, new RequestSpan("r", 0, 3, 0, 5));

        assertThat(OutputCheck.batchings(parts("r", again, second, first)))
                .containsExactly(List.of(first, second), List.of(again));
        assertThat(OutputCheck.batchings(parts("r", cut, second))).isEmpty();
    }

    @Test
    void okOutputsMustMatchTheInProcessLayerOnTheirOwnBatch(@TempDir Path dir) {
        ModelGenerator.generate(ModelSpec.of(Preset.MIXTRAL_LIKE, Scale.TINY), dir);
        int hidden = ModelConfig.read(dir).orElseThrow().hiddenSize();
        MoeSettings settings = new MoeSettings(null, dir, 0, 2, List.of(), WireType.F32,
                Map.of("policy", "token-drop", "capacity-factor", "1.0"));
        // Under capacity a token's output depends on its batch: the result must match the batch it went through.
        TokenBatch alone = batch("gw1-r0-0", 100, hidden, new RequestSpan("r", 0, 6, 0, 6));
        TokenBatch crowd = batch("gw1-r0-1", 200, hidden, new RequestSpan("other", 0, 40, 0, 40),
                new RequestSpan("r", 40, 6, 0, 6));
        float[] states = crowd.states().clone();
        System.arraycopy(alone.states(), 0, states, 40 * hidden, 6 * hidden);
        TokenBatch shared = new TokenBatch(crowd.batchId(), 0, 200, crowd.requests(), hidden, states);
        float[] expected = new ReferenceLayer(settings).forRequest("r", List.of(alone), Map.of());
        float[] off = expected.clone();
        off[3] += 0.05f * Math.abs(off[3]) + 0.05f;

        OutputCheck.Figures matching = OutputCheck.check(settings, List.of(result("r", expected)), List.of(alone));
        OutputCheck.Figures perturbed = OutputCheck.check(settings, List.of(result("r", off)), List.of(alone));
        OutputCheck.Figures otherBatch = OutputCheck.check(settings, List.of(result("r", expected)),
                List.of(shared));
        OutputCheck.Figures missing = OutputCheck.check(settings, List.of(result("r", expected)), List.of());

        assertThat(matching.corrupt()).isEmpty();
        assertThat(matching.unverifiable()).isEmpty();
        assertThat(perturbed.corrupt()).containsOnlyKeys("r");
        assertThat(otherBatch.corrupt()).containsOnlyKeys("r");
        assertThat(missing.unverifiable()).containsExactly("r");
    }

    private static ResultLog.Arrival result(String id, float[] outputs) {
        ByteBuffer bytes = ByteBuffer.allocate(outputs.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(outputs);
        String json = "{\"id\": \"" + id + "\", \"status\": \"ok\", \"outputs\": {\"dtype\": \"f32\", \"data\": \""
                + Base64.getEncoder().encodeToString(bytes.array()) + "\"}}";
        return new ResultLog.Arrival(id, "ok", "", json.getBytes(StandardCharsets.UTF_8), 0);
    }
}
