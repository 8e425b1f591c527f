package io.moestream.router;

import io.moestream.layer.GateProjection;
import io.moestream.pipeline.UnavailableExperts;
import io.moestream.routing.AvoidedExperts;
import io.moestream.model.MoeLayerWeights;
import io.moestream.routing.ExpertDispatch;
import io.moestream.routing.Router;
import io.moestream.routing.RoutingConfig;
import io.moestream.routing.RoutingResult;
import io.moestream.routing.SpecName;
import io.moestream.wire.ExpertRows;
import io.moestream.wire.RequestSpan;
import io.moestream.wire.RoutingManifest;
import io.moestream.wire.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The router's computation for one batch, free of Kafka: the gate, the policy, and the records
 * that carry each expert's rows and the manifest. The same {@link GateProjection} and
 * {@link Router} as the in-process {@code MoeLayer}, so the pipeline routes bit for bit as it does.
 */
final class BatchRouter {

    /** The decoder layer index of the MoE layer this router serves, which its dispatches carry. */
    private final int layer;
    private final int hidden;
    private final GateProjection gate;
    private final int sharedExperts;
    /** Qwen2-MoE's shared-expert gate as a one-row projection, so its dot product is the layer's; or null. */
    private final GateProjection sharedGate;

    BatchRouter(MoeLayerWeights weights) {
        this.layer = weights.layer();
        this.hidden = weights.hidden();
        this.gate = new GateProjection(hidden, weights.numExperts(), weights.gate());
        this.sharedExperts = weights.sharedExperts().size();
        this.sharedGate = weights.sharedExpertGate().map(g -> new GateProjection(hidden, 1, g)).orElse(null);
    }

    int experts() {
        return gate.experts();
    }

    int sharedExperts() {
        return sharedExperts;
    }

    /**
     * @param unavailable experts without a live consumer, ascending: they get no slot, as if their capacity
     *        were 0, unless fewer than top-k experts would be left
     * @throws IllegalArgumentException when the batch does not fit the model (hidden size, a
     *         non-finite state, an unknown source rank) or its request spans leave tokens out or overlap;
     *         the message says what and where
     */
    RoutedBatch route(TokenBatch batch, Router router, int[] unavailable) {
        requireFits(batch);
        double[][] logits = gate.logits(batch.states(), batch.tokens());
        int topK = router.config().topK();
        boolean avoid = AvoidedExperts.possible(gate.experts(), unavailable, topK);
        RoutingResult routing = router.route(avoid ? AvoidedExperts.masked(logits, unavailable) : logits,
                batch.sourceRank());
        List<ExpertRows> dispatches = new ArrayList<>(dispatches(batch, routing.dispatch()));
        for (int s = 0; s < sharedExperts; s++) {
            dispatches.add(new ExpertRows(batch.batchId(), layer, ExpertRows.sharedExpertId(s),
                    IntStream.range(0, batch.tokens()).toArray(), hidden, batch.states(), 0));
        }
        RoutingConfig config = router.config();
        RoutingManifest manifest = RoutingManifest.of(batch, routing, SpecName.of(config.policy()),
                config.hasCapacity() ? config.capacityFactor() : Double.NaN, sharedExperts, sharedScale(batch));
        int[] movedFrom = new int[gate.experts()];
        UnavailableExperts avoided = UnavailableExperts.NONE;
        if (avoid) {
            int[] movedPerSpan = batch.requests().stream()
                    .mapToInt(span -> movedSlots(logits, span, unavailable, topK, movedFrom)).toArray();
            avoided = new UnavailableExperts(unavailable, movedPerSpan);
        }
        return new RoutedBatch(batch, logits, routing, List.copyOf(dispatches), manifest, avoided, movedFrom);
    }

    /**
     * Over the span's tokens, how many of their top-k experts (by the unmasked logits) are unavailable; adds
     * each such slot to {@code movedFrom} of its expert.
     */
    private static int movedSlots(double[][] logits, RequestSpan span, int[] unavailable, int topK, int[] movedFrom) {
        int moved = 0;
        for (int t = span.firstToken(); t < span.firstToken() + span.tokenCount(); t++) {
            for (int e : unavailable) {
                if (AvoidedExperts.inTopK(logits[t], e, topK)) {
                    moved++;
                    movedFrom[e]++;
                }
            }
        }
        return moved;
    }

    /** Experts with no row get no record: reassembly waits only for the experts in the manifest. */
    private List<ExpertRows> dispatches(TokenBatch batch, ExpertDispatch dispatch) {
        List<ExpertRows> records = new ArrayList<>();
        for (int e = 0; e < dispatch.experts(); e++) {
            int[] tokens = dispatch.tokens(e);
            if (tokens.length > 0) {
                records.add(new ExpertRows(batch.batchId(), layer, e, tokens, hidden, gather(batch.states(), tokens), 0));
            }
        }
        return records;
    }

    private float[] gather(float[] states, int[] tokens) {
        float[] rows = new float[tokens.length * hidden];
        for (int i = 0; i < tokens.length; i++) {
            System.arraycopy(states, tokens[i] * hidden, rows, i * hidden, hidden);
        }
        return rows;
    }

    /** Qwen2-MoE scales the shared output by {@code sigmoid(x . g)}; without that gate the scale is 1. */
    private double[] sharedScale(TokenBatch batch) {
        if (sharedExperts == 0) {
            return new double[0];
        }
        double[] scale = new double[batch.tokens()];
        double[][] dots = sharedGate == null ? null : sharedGate.logits(batch.states(), batch.tokens());
        for (int t = 0; t < scale.length; t++) {
            scale[t] = dots == null ? 1.0 : 1.0 / (1.0 + Math.exp(-dots[t][0]));
        }
        return scale;
    }

    private void requireFits(TokenBatch batch) {
        if (batch.hidden() != hidden) {
            throw new IllegalArgumentException("batch " + batch.batchId() + " has hidden size " + batch.hidden()
                    + ", the model " + hidden);
        }
        // Reassembly answers requests by these spans: a token of no request would be computed for nobody.
        int next = 0;
        for (RequestSpan span : batch.requests()) {
            if (span.firstToken() != next) {
                throw new IllegalArgumentException("batch " + batch.batchId() + ": request " + span.requestId()
                        + " starts at token " + span.firstToken() + ", expected " + next
                        + ": the spans must cover the tokens in order, each once");
            }
            next += span.tokenCount();
        }
        if (next != batch.tokens()) {
            throw new IllegalArgumentException("batch " + batch.batchId() + ": its request spans cover " + next
                    + " of its " + batch.tokens() + " tokens");
        }
        float[] x = batch.states();
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) {
                throw new IllegalArgumentException("batch " + batch.batchId() + ": hidden state of token " + i / hidden
                        + ", dimension " + i % hidden + " is " + x[i] + ", expected a finite number");
            }
        }
    }
}
