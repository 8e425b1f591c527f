package io.moestream.expert.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.moestream.pipeline.Topics;
import io.moestream.wire.ExpertRows;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DispatchCheckTest {

    private static final int HIDDEN = 4;
    private final Topics topics = new Topics("t.");
    private final DispatchCheck check = new DispatchCheck(HIDDEN, Set.of(0, 1, -1), Set.of(0, 2), topics::expert);

    @Test
    void acceptsADispatchOfAHostedExpert() {
        ExpertRows dispatch = Dispatches.random("b", -1, 2, HIDDEN, 1);

        Verdict verdict = check.check(topics.expert(-1), bytes(dispatch));

        assertThat(verdict).isInstanceOfSatisfying(Verdict.Accepted.class,
                accepted -> assertThat(accepted.dispatch().rows()).containsExactly(dispatch.rows()));
    }

    @Test
    void refusesWhatCannotBeComputedHereSayingWhy() {
        ExpertRows nan = Dispatches.random("b", 0, 2, HIDDEN, 1);
        nan.rows()[5] = Float.NaN;

        assertRefused(null, Rejection.UNDECODABLE, "no value");
        assertRefused("not a dispatch".getBytes(StandardCharsets.UTF_8), Rejection.UNDECODABLE, "undecodable");
        assertRefused(bytes(Dispatches.random("b", 5, 1, HIDDEN, 1)), Rejection.NOT_HOSTED, "expert 5 is not hosted");
        assertRefused(bytes(Dispatches.random("b", 0, 1, HIDDEN + 1, 1)), Rejection.HIDDEN_SIZE, "hidden size 5");
        ExpertRows layerOne = Dispatches.random("b", 0, 1, HIDDEN, 1);
        assertRefused(bytes(new ExpertRows("b", 1, 0, layerOne.tokens(), HIDDEN, layerOne.rows(), 0)),
                Rejection.NOT_HOSTED, "layer 1 is not an MoE layer hosted here; hosted: [0, 2]");
        assertRefused(bytes(nan), Rejection.NON_FINITE, "non-finite value NaN in row of token 2 at column 1");
        assertRefused(bytes(new ExpertRows("b", 0, 0, new int[0], HIDDEN, new float[0], 0)), Rejection.EMPTY,
                "a dispatch of batch b without rows");
    }

    @Test
    void refusesRowsOfAHostedExpertOnAnotherExpertsTopic() {
        Verdict verdict = check.check(topics.expert(0), bytes(Dispatches.random("b", 1, 2, HIDDEN, 1)));

        assertThat(verdict).isInstanceOfSatisfying(Verdict.Refused.class, refused -> {
            assertThat(refused.kind()).isEqualTo(Rejection.WRONG_TOPIC);
            assertThat(refused.reason()).isEqualTo("rows for expert 1 on topic t.expert.0, not on the expert's own "
                    + "t.expert.1");
        });
    }

    private void assertRefused(byte[] value, Rejection kind, String reason) {
        assertThat(check.check(topics.expert(0), value)).isInstanceOfSatisfying(Verdict.Refused.class, refused -> {
            assertThat(refused.kind()).isEqualTo(kind);
            assertThat(refused.reason()).contains(reason);
        });
    }

    private static byte[] bytes(ExpertRows rows) {
        return rows.toBytes(io.moestream.wire.WireType.F32);
    }
}
