package io.moestream.cli;

import io.moestream.cli.PipelineDriver.Pass;
import io.moestream.layer.OutputDistance;
import io.moestream.local.LocalStack;
import io.moestream.routing.Policy;
import io.moestream.routing.SpecName;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * Sends a set of prompts through a running local stack under one policy after another and measures
 * each policy. The first policy run must be dropless: its outputs are the reference the others'
 * fidelity is measured against.
 */
final class DemoRun implements AutoCloseable {

    private final PipelineDriver driver;
    private final List<String> prompts;
    private final double capacityFactor;
    private final int experts;
    private final Map<Integer, float[]> dropless = new HashMap<>();

    DemoRun(LocalStack stack, List<String> prompts, double capacityFactor, int experts, PrintWriter progress) {
        this.driver = new PipelineDriver(stack, List.of(stack.routerUrl()), progress);
        this.prompts = prompts;
        this.capacityFactor = capacityFactor;
        this.experts = experts;
    }

    /**
     * Sends the prompts once under dropless without measuring: the first pass also pays for the
     * JIT compiling the kernels and the Kafka clients' code, which would make dropless look slow.
     */
    void warmUp() {
        driver.switchTo(SpecName.of(Policy.DROPLESS), capacityFactor);
        driver.send("warm-up", prompts, true);
    }

    PolicyRun run(String policy) {
        if (dropless.isEmpty() && !"dropless".equals(policy)) {
            throw new IllegalStateException("dropless must run first: it is the reference for fidelity");
        }
        driver.switchTo(policy, capacityFactor);
        return measure(policy, driver.send(policy, prompts, true));
    }

    private PolicyRun measure(String policy, Pass pass) {
        JsonNode[] got = pass.results();
        double l2Sum = 0;
        double l2Worst = 0;
        double cosineSum = 0;
        double cosineWorst = 1;
        for (int i = 0; i < got.length; i++) {
            float[] outputs = outputs(got[i]);
            if ("dropless".equals(policy)) {
                dropless.put(i, outputs);
            }
            double relativeL2 = OutputDistance.relativeL2(outputs, dropless.get(i));
            double cosine = OutputDistance.cosine(outputs, dropless.get(i));
            l2Sum += relativeL2;
            l2Worst = Math.max(l2Worst, relativeL2);
            cosineSum += cosine;
            cosineWorst = Math.min(cosineWorst, cosine);
        }
        long steps = Math.round(pass.since("moe_router_batches_total"));
        double[] demand = new double[experts];
        double[] load = new double[experts];
        for (int e = 0; e < experts; e++) {
            demand[e] = pass.since("moe_router_slots_total", "expert=" + e, "kind=demand");
            load[e] = pass.since("moe_router_slots_total", "expert=" + e, "kind=kept");
        }
        double demanded = pass.since("moe_router_slots_total", "kind=demand");
        double dropped = pass.since("moe_router_slots_total", "kind=dropped");
        return new PolicyRun(policy, capacityFactor, got.length, pass.tokens(), steps, pass.degraded(), demand, load,
                demanded == 0 ? 0 : dropped / demanded,
                pass.mean("moe_router_expert_straggler"),
                pass.mean("moe_router_rank_straggler"),
                pass.tokensPerSecond(), pass.latencyMs(0.50), pass.latencyMs(0.99),
                l2Sum / got.length, l2Worst, cosineSum / got.length, cosineWorst);
    }

    private static float[] outputs(JsonNode result) {
        ByteBuffer bytes = ByteBuffer.wrap(Base64.getDecoder().decode(result.path("outputs").path("data").asString()))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] values = new float[bytes.remaining() / Float.BYTES];
        bytes.asFloatBuffer().get(values);
        return values;
    }

    @Override
    public void close() {
        driver.close();
    }
}
