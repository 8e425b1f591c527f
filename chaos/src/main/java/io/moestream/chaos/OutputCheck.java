package io.moestream.chaos;

import io.moestream.layer.OutputDistance;
import io.moestream.local.ReferenceLayer;
import io.moestream.pipeline.MoeSettings;
import io.moestream.wire.RequestSpan;
import io.moestream.wire.TokenBatch;
import io.moestream.wire.WireType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * No corruption: every {@code ok} result's outputs equal the in-process layer's ({@link ReferenceLayer},
 * the path the end-to-end tests check against) on the same batches, within the tolerance of the wire
 * type. Capacity makes a token's output depend on the tokens that shared its step, so the reference
 * runs on the batches the gateway actually sent ({@code tokens}, read_committed). A request batched
 * twice (a gateway restarted before it committed its prompt offsets) has two candidate batchings; its
 * result must match one of them. An expert output combined twice or a stale one would match neither.
 */
final class OutputCheck {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /**
     * @param checked ok results compared
     * @param corrupt ok results matching no batching of their request, with the smallest relative error
     * @param unverifiable ok results without outputs or without a complete batching in {@code tokens}
     */
    record Figures(int checked, Map<String, Double> corrupt, List<String> unverifiable, double tolerance) {
    }

    private OutputCheck() {
    }

    /** The relative L2 error allowed: f32 on the wire is exact up to summation order; 16-bit types round each value. */
    static double tolerance(WireType wireType) {
        return wireType == WireType.F32 ? 1e-4 : 1e-2;
    }

    static Figures check(MoeSettings settings, List<ResultLog.Arrival> okResults, List<TokenBatch> batches) {
        double tolerance = tolerance(settings.wireType());
        Map<String, List<Part>> parts = new HashMap<>();
        for (TokenBatch batch : batches) {
            for (RequestSpan span : batch.requests()) {
                parts.computeIfAbsent(span.requestId(), id -> new ArrayList<>()).add(new Part(batch, span));
            }
        }
        ReferenceLayer reference = new ReferenceLayer(settings);
        Map<String, Double> corrupt = new HashMap<>();
        List<String> unverifiable = new ArrayList<>();
        for (ResultLog.Arrival result : okResults) {
            float[] outputs = outputs(result.value());
            List<List<TokenBatch>> batchings = batchings(parts.getOrDefault(result.id(), List.of()));
            if (outputs == null || batchings.isEmpty()) {
                unverifiable.add(result.id());
                continue;
            }
            double best = Double.POSITIVE_INFINITY;
            for (List<TokenBatch> batching : batchings) {
                float[] expected = reference.forRequest(result.id(), batching, Map.of());
                best = Math.min(best, expected.length == outputs.length
                        ? OutputDistance.relativeL2(outputs, expected) : Double.POSITIVE_INFINITY);
            }
            if (!(best < tolerance)) {
                corrupt.put(result.id(), best);
            }
        }
        return new Figures(okResults.size(), corrupt, unverifiable, tolerance);
    }

    /** A request's tokens in one batch. */
    record Part(TokenBatch batch, RequestSpan span) {
    }

    /**
     * The complete batchings of one request: one batching writes a request's spans in order of their
     * offset into batches created one after the other, and a second batching of the same prompt comes
     * later, so walking the spans by creation time and chaining them from offset 0 finds each.
     */
    static List<List<TokenBatch>> batchings(List<Part> parts) {
        List<Part> ordered = new ArrayList<>(parts);
        ordered.sort(Comparator.comparingLong((Part p) -> p.batch().createdAtMillis())
                .thenComparingInt(p -> p.span().requestOffset()));
        List<List<TokenBatch>> complete = new ArrayList<>();
        List<TokenBatch> current = new ArrayList<>();
        int covered = -1;
        for (Part part : ordered) {
            if (part.span().requestOffset() == 0) {
                current = new ArrayList<>();
                covered = 0;
            }
            if (covered < 0 || part.span().requestOffset() != covered) {
                continue;
            }
            current.add(part.batch());
            covered += part.span().tokenCount();
            if (covered == part.span().requestTokens()) {
                complete.add(current);
                covered = -1;
            }
        }
        return complete;
    }

    /** The result's outputs (base64 little-endian f32, as docs/PIPELINE.md gives them), or null without any. */
    private static float[] outputs(byte[] result) {
        JsonNode data = JSON.readTree(result).path("outputs").path("data");
        if (data.isMissingNode() || data.isNull()) {
            return null;
        }
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(data.asString())).order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[bytes.remaining() / Float.BYTES];
        bytes.asFloatBuffer().get(values);
        return values;
    }
}
