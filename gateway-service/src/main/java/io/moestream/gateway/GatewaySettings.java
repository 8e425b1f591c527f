package io.moestream.gateway;

import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The gateway's own settings, {@code moe.gateway.*}, next to the shared {@code moe.*} ones.
 *
 * @param maxTokensPerStep tokens in one batch
 * @param lingerMs how long a partial batch waits for more prompts
 * @param deadlineMs expert outputs missing this long after the batch was created complete it degraded. The
 *        default, 30 s, outlasts a service restarted after a crash on the build machines (a kill, 1-3 s, and
 *        10-15 s to start on two busy cores), so that a restart costs latency, not outputs
 * @param requestTimeoutMs a request whose tokens are not all back this long after it was taken ends with
 *        status {@code error} (the router or a manifest never answered). The default, 60 s, is twice the
 *        deadline: a batch held up by a restarted router still completes, degraded at worst, before then
 * @param maxPromptTokens longer prompts are refused
 * @param resultCacheSize results (and pending ids) the REST API remembers
 * @param instanceId prefix of the batch ids; random by default, because a restarted gateway counts its
 *        batches from 0 again and must not reuse the ids of batches still in the reassembly store
 * @param stateDir Kafka Streams' state directory; {@code null} for Kafka Streams' default
 */
public record GatewaySettings(@DefaultValue("256") int maxTokensPerStep, @DefaultValue("5") long lingerMs,
                              @DefaultValue("30000") long deadlineMs, @DefaultValue("60000") long requestTimeoutMs,
                              @DefaultValue("4096") int maxPromptTokens, @DefaultValue("10000") int resultCacheSize,
                              String instanceId, Path stateDir) {

    public GatewaySettings {
        if (maxTokensPerStep < 1 || lingerMs < 0 || deadlineMs < 1 || requestTimeoutMs < 1 || maxPromptTokens < 1
                || resultCacheSize < 1) {
            throw new IllegalArgumentException("moe.gateway.* out of range: max-tokens-per-step " + maxTokensPerStep
                    + ", linger-ms " + lingerMs + ", deadline-ms " + deadlineMs + ", request-timeout-ms "
                    + requestTimeoutMs + ", max-prompt-tokens " + maxPromptTokens + ", result-cache-size "
                    + resultCacheSize + " (all must be positive, linger-ms may be 0)");
        }
        instanceId = instanceId == null || instanceId.isBlank()
                ? "gw" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()) : instanceId;
    }
}
