package io.moestream.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.moestream.pipeline.MoeSettings;
import io.moestream.wire.TokenBatch;
import io.moestream.wire.WireType;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The pipeline on four ranks with hidden states in bf16 on the wire, against the in-process layer on
 * the same placement. The shared stack runs two ranks in f32; this stack checks that placement,
 * rank-local rectification and a narrow wire type hold end to end too.
 */
class FourRanksBf16EndToEndTest {

    static final int RANKS = 4;
    /**
     * bf16 keeps 8 significant bits, so every hidden state on the wire (token batches, expert inputs
     * and outputs) may be off by 2^-9 of its value: about 4e-3 relative L2 after the combine. A wrong
     * expert, weight or rank shows as an error of order 1.
     */
    static final double BF16_TOLERANCE = 1e-2;

    private static LocalStack stack;
    private static PipelineClient client;
    private static OutputCheck check;

    @BeforeAll
    static void start() {
        stack = SharedStack.builder(new MoeSettings(null, null, 0, RANKS, null, WireType.BF16,
                SharedStack.CONFIGURED_ROUTING)).start();
        client = new PipelineClient(stack);
        check = new OutputCheck(client, new ReferenceLayer(stack.settings()), BF16_TOLERANCE);
    }

    @AfterAll
    static void stop() {
        client.close();
        stack.close();
    }

    @Test
    void hiddenStatesTravelAsBf16AndEveryRankHasAnExpertService() {
        String id = "bf16-" + UUID.randomUUID();
        client.sendPrompt(id, PolicyEndToEndTest.PROMPT);
        TokenBatch batch = client.awaitBatch(id);
        // A float that came from bf16 has nothing in its low 16 bits.
        for (float state : batch.states()) {
            assertThat(Float.floatToRawIntBits(state) & 0xFFFF).as("low bits of hidden state %s", state).isZero();
        }
        assertThat(stack.expertUrls()).hasSize(RANKS);
        assertThat(client.awaitResult(id).status()).isEqualTo("ok");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dropless", "token-drop", "token-reroute", "rectify-ir", "rectify"})
    void promptsComputeWhatTheInProcessLayerComputesOnFourRanks(String policy) {
        Map<String, Object> control = Map.of("policy", policy, "capacity-factor", 1.0);
        client.setRouting(control);
        Result result = client.firstRoutedUnder(policy, id -> {
            client.sendPrompt(id, PolicyEndToEndTest.PROMPT);
            return client.awaitResult(id);
        });
        check.assertMatchesReference(result, control);
    }
}
