package io.moestream.bench;

import io.moestream.decoder.Chunk;
import io.moestream.decoder.DecoderEngine;
import io.moestream.decoder.DecoderModel;
import io.moestream.decoder.LogitRows;
import io.moestream.decoder.Sequence;
import io.moestream.decoder.StepOutput;
import io.moestream.generate.ModelGenerator;
import io.moestream.generate.ModelSpec;
import io.moestream.generate.Preset;
import io.moestream.generate.Scale;
import io.moestream.kernels.DecoderBackends;
import io.moestream.kernels.KernelBackend;
import io.moestream.model.DecoderConfig;
import io.moestream.routing.Placement;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Prefill and decode tokens/s of whole generated models on OpenBLAS, each against the bare sgemms of
 * the same step ({@link GemmTrace}, {@link GemmReplay}) timed in the same run, rep by rep, so that
 * the ratio is "what share of the step is matrix products": the engine's overhead (attention,
 * norms, routing, copies) is the rest. Also the process's resident memory against the weights it
 * holds plus its KV cache.
 *
 * <p>Arguments: {@code [--generate] jsonFile modelsDir [scale...]}; scales {@code tiny small} by default.
 * Models are generated into {@code modelsDir} by a first run with {@code --generate}, in its own JVM:
 * generating holds a shard as F32 on the heap, which would otherwise stay in the measured process's
 * resident memory.
 */
public final class DecoderBench {

    static final int PREFILL_SEQUENCES = 4;
    static final int PREFILL_LENGTH = 128;
    static final int DECODE_SEQUENCES = 8;
    static final int DECODE_CONTEXT = 64;
    static final int DECODE_STEPS = 16;
    static final int REPS = 7;

    private DecoderBench() {
    }

    public static void main(String[] args) throws IOException {
        boolean generate = args.length > 0 && args[0].equals("--generate");
        List<String> rest = List.of(args).subList(generate ? 1 : 0, args.length);
        if (rest.size() < 2) {
            throw new IllegalArgumentException("usage: DecoderBench [--generate] jsonFile modelsDir [scale...]");
        }
        Path json = Path.of(rest.get(0));
        Path models = Path.of(rest.get(1));
        List<Scale> scales = new ArrayList<>();
        for (String scale : rest.subList(2, rest.size())) {
            scales.add(Scale.valueOf(scale.toUpperCase(java.util.Locale.ROOT)));
        }
        if (scales.isEmpty()) {
            scales = List.of(Scale.TINY, Scale.SMALL);
        }
        if (generate) {
            for (Scale scale : scales) {
                ModelSpec spec = ModelSpec.of(Preset.MIXTRAL_LIKE, scale);
                Path dir = models.resolve(spec.preset().label() + "-" + scale.label());
                if (!Files.exists(dir.resolve("config.json"))) {
                    ModelGenerator.generate(spec, dir);
                }
            }
            return;
        }
        System.out.printf("OPENBLAS_CORETYPE=%s OPENBLAS_NUM_THREADS=%s, %d reps, medians%n",
                System.getenv("OPENBLAS_CORETYPE"), System.getenv("OPENBLAS_NUM_THREADS"), REPS);
        List<Object> results = new ArrayList<>();
        for (Scale scale : scales) {
            ModelSpec spec = ModelSpec.of(Preset.MIXTRAL_LIKE, scale);
            results.add(run(spec, models.resolve(spec.preset().label() + "-" + scale.label())));
        }
        Files.createDirectories(json.toAbsolutePath().getParent());
        Files.writeString(json, ReportJson.of(results));
        System.out.println("wrote " + json);
    }

    private static Map<String, Object> run(ModelSpec spec, Path directory) {
        GemmTrace trace = new GemmTrace();
        DecoderBackends.Selected cpu = DecoderBackends.create(KernelBackend.CPU, 0);
        try (DecoderEngine engine = DecoderEngine.load(directory, trace.wrap(cpu.backend()))) {
            DecoderConfig c = engine.config();
            DecoderModel model = engine.model(engine.defaultRouting(), Placement.contiguous(c.moe().numExperts(), 1));
            System.out.printf("%n%s %s: %d layers, hidden %d, %d experts top-%d, ffn %d, heads %d/%d, vocab %d; %s%n",
                    spec.preset().label(), spec.scale().label(), c.numHiddenLayers(), c.hiddenSize(),
                    c.moe().numExperts(), c.moe().topK(), c.moe().expertFfnSize(), c.numAttentionHeads(),
                    c.numKeyValueHeads(), c.vocabSize(), engine.backend());
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("model", spec.preset().label() + " " + spec.scale().label());
            List<Sequence> sequences = decodeContext(model, c.vocabSize());
            // Read before any replay: freed native buffers can stay in the C allocator's arenas.
            result.put("memory", memory(c, sequences));
            result.put("prefill", prefill(model, trace, c.vocabSize()));
            result.put("decode", decode(model, trace, sequences, c.vocabSize()));
            return result;
        }
    }

    /** {@value #PREFILL_SEQUENCES} prompts of {@value #PREFILL_LENGTH} tokens in one step, logits of the last positions. */
    private static Map<String, Object> prefill(DecoderModel model, GemmTrace trace, int vocab) {
        List<int[]> prompts = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(1);
        for (int s = 0; s < PREFILL_SEQUENCES; s++) {
            prompts.add(random.ints(PREFILL_LENGTH, 0, vocab).toArray());
        }
        step(model, prompts);
        trace.start();
        step(model, prompts);
        List<GemmTrace.Gemm> gemms = trace.stop();
        long[] engine = new long[REPS];
        long[] bound = new long[REPS];
        try (GemmReplay replay = new GemmReplay(trace.weightShapes(), gemms)) {
            replay.run(gemms);
            for (int r = 0; r < REPS; r++) {
                long start = System.nanoTime();
                step(model, prompts);
                engine[r] = System.nanoTime() - start;
                bound[r] = replay.run(gemms);
            }
        }
        return report("prefill", PREFILL_SEQUENCES * PREFILL_LENGTH, engine, bound, gemms);
    }

    /** {@value #DECODE_SEQUENCES} sequences after a {@value #DECODE_CONTEXT}-token prefill. */
    private static List<Sequence> decodeContext(DecoderModel model, int vocab) {
        SplittableRandom random = new SplittableRandom(2);
        List<Sequence> sequences = new ArrayList<>();
        List<Chunk> prefill = new ArrayList<>();
        for (int s = 0; s < DECODE_SEQUENCES; s++) {
            Sequence sequence = model.newSequence();
            sequences.add(sequence);
            prefill.add(new Chunk(sequence, random.ints(DECODE_CONTEXT, 0, vocab).toArray()));
        }
        model.step(prefill, 0, LogitRows.LAST);
        return sequences;
    }

    /** One token for each of {@code sequences} a step. */
    private static Map<String, Object> decode(DecoderModel model, GemmTrace trace, List<Sequence> sequences, int vocab) {
        int[] next = new SplittableRandom(3).ints(DECODE_SEQUENCES, 0, vocab).toArray();
        decodeStep(model, sequences, next);
        trace.start();
        decodeStep(model, sequences, next);
        List<GemmTrace.Gemm> gemms = trace.stop();
        long[] engine = new long[REPS];
        long[] bound = new long[REPS];
        try (GemmReplay replay = new GemmReplay(trace.weightShapes(), gemms)) {
            replay.run(gemms);
            for (int r = 0; r < REPS; r++) {
                long start = System.nanoTime();
                for (int s = 0; s < DECODE_STEPS; s++) {
                    next = decodeStep(model, sequences, next);
                }
                engine[r] = (System.nanoTime() - start) / DECODE_STEPS;
                long boundStart = System.nanoTime();
                for (int s = 0; s < DECODE_STEPS; s++) {
                    replay.run(gemms);
                }
                bound[r] = (System.nanoTime() - boundStart) / DECODE_STEPS;
            }
        }
        return report("decode", DECODE_SEQUENCES, engine, bound, gemms);
    }

    private static int[] decodeStep(DecoderModel model, List<Sequence> sequences, int[] tokens) {
        List<Chunk> chunks = new ArrayList<>();
        for (int s = 0; s < sequences.size(); s++) {
            chunks.add(new Chunk(sequences.get(s), new int[] {tokens[s]}));
        }
        StepOutput out = model.step(chunks, 0, LogitRows.LAST);
        int[] next = new int[sequences.size()];
        for (int s = 0; s < next.length; s++) {
            next[s] = io.moestream.decoder.LogSoftmax.argmax(out.logits(), s * out.vocab(), out.vocab());
        }
        return next;
    }

    private static void step(DecoderModel model, List<int[]> prompts) {
        List<Chunk> chunks = new ArrayList<>();
        for (int[] prompt : prompts) {
            chunks.add(new Chunk(model.newSequence(), prompt));
        }
        model.step(chunks, 0, LogitRows.LAST);
    }

    private static Map<String, Object> report(String phase, int tokens, long[] engine, long[] bound,
                                              List<GemmTrace.Gemm> gemms) {
        double[] ratios = new double[engine.length];
        for (int r = 0; r < engine.length; r++) {
            ratios[r] = (double) bound[r] / engine[r];
        }
        double engineMs = median(engine) / 1e6;
        double boundMs = median(bound) / 1e6;
        double ratio = median(ratios);
        double flops = 0;
        for (GemmTrace.Gemm g : gemms) {
            flops += 2.0 * g.rows() * g.out() * g.in();
        }
        System.out.printf("%-8s %5d tokens a step: engine %8.2f ms (%,9.0f tokens/s), sgemms alone %8.2f ms"
                        + " (%,9.0f tokens/s, %5.1f GFLOP/s): ratio %.2f (reps %.2f-%.2f)%n", phase, tokens, engineMs,
                tokens / engineMs * 1000, boundMs, tokens / boundMs * 1000, flops / boundMs / 1e6, ratio,
                Arrays.stream(ratios).min().orElse(0), Arrays.stream(ratios).max().orElse(0));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tokens_per_step", tokens);
        out.put("engine_ms", engineMs);
        out.put("engine_tokens_per_s", tokens / engineMs * 1000);
        out.put("gemm_ms", boundMs);
        out.put("gemm_tokens_per_s", tokens / boundMs * 1000);
        out.put("gemm_gflops", flops / boundMs / 1e6);
        out.put("ratio", ratio);
        out.put("gemms_per_step", gemms.size());
        return out;
    }

    private static Map<String, Object> memory(DecoderConfig c, List<Sequence> sequences) {
        System.gc();
        // G1 gives the freed heap back to the system concurrently, after the collection returns.
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long rss = residentBytes();
        long weights = weightBytes(c);
        long kv = sequences.stream().mapToLong(Sequence::cacheBytes).sum();
        System.out.printf("memory   resident %,d MB; weights (F32) %,d MB + KV cache %,d MB = %,d MB: %.2fx%n",
                rss >> 20, weights >> 20, kv >> 20, (weights + kv) >> 20, (double) rss / (weights + kv));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("resident_bytes", rss);
        out.put("weight_bytes", weights);
        out.put("kv_cache_bytes", kv);
        out.put("ratio", (double) rss / (weights + kv));
        return out;
    }

    /** F32 bytes of every weight the engine holds; a tied output head is the embedding table held twice (heap and native). */
    static long weightBytes(DecoderConfig c) {
        long d = c.hiddenSize();
        long attention = d * c.queryWidth() * 2 + d * c.keyValueWidth() * 2;
        long experts = (long) c.moe().numExperts() * 3 * d * c.moe().expertFfnSize()
                + 3 * d * c.moe().sharedExpertFfnSize() + c.moe().numExperts() * d;
        long dense = 3 * d * c.denseFfnSize();
        int moeLayers = c.numHiddenLayers() - c.moe().denseLayers().size();
        long params = c.numHiddenLayers() * (attention + 2 * d) + moeLayers * experts
                + c.moe().denseLayers().size() * dense + 2L * c.vocabSize() * d + d;
        return params * Float.BYTES;
    }

    private static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    private static double median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
