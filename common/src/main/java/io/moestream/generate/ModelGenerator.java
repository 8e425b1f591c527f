package io.moestream.generate;

import io.moestream.model.Checkpoint;
import io.moestream.model.ModelConfig;
import io.moestream.model.SafetensorsWriter;
import io.moestream.model.Tensor;
import io.moestream.text.ModelTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import tools.jackson.core.util.DefaultIndenter;
import tools.jackson.core.util.DefaultPrettyPrinter;
import tools.jackson.core.util.Separators;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes a whole decoder model in the Hugging Face layout of its family, as transformers'
 * {@code save_pretrained} would: {@code config.json} and {@code generation_config.json},
 * {@code tokenizer.json} and {@code tokenizer_config.json}, and {@code model.safetensors}, or
 * shards with {@code model.safetensors.index.json} once the weights exceed the shard size. Every
 * layer has its attention, norms and MoE block (or plain MLP where the family makes the layer
 * dense), then come the final norm and {@code lm_head} ({@link WeightPlan}). The tokenizer is
 * byte-level BPE learned from the bundled prompt corpus ({@link GeneratedTokenizer}); the
 * embeddings and every layer's router are built by {@link SkewModel} so that real text routes as
 * unbalanced as in the trained models ({@link Preset}, {@link CorpusLoads}). Weights are BF16 at
 * full scale, F32 otherwise. The same specification always gives the same bytes.
 *
 * <p>{@code ./moe generate-model --preset P --scale S [--layers N] --out DIR} runs it from the
 * command line.
 *
 * <p>Peak memory is the largest shard's weights as F32 (about 4 GiB for a full-scale 2 GiB shard),
 * because the safetensors writer takes a whole file's tensors at once: give full scale
 * {@code -Xmx6g}.
 */
public final class ModelGenerator {

    /** 2 GiB: a shard is held in memory as F32 while it is written, so larger shards need a larger heap. */
    public static final long DEFAULT_SHARD_BYTES = 2L << 30;

    static final String GENERATION_CONFIG = "generation_config.json";
    static final String TOKENIZER_CONFIG = "tokenizer_config.json";

    /**
     * Laid out as transformers writes its JSON ({@code "key": value}, two-space indent), with
     * {@code \n} line ends on every OS so that the bytes do not depend on the machine.
     */
    private static final ObjectWriter JSON = JsonMapper.builder().build().writer().with(new DefaultPrettyPrinter(
            Separators.createDefaultInstance().withObjectNameValueSpacing(Separators.Spacing.AFTER))
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n")));

    private ModelGenerator() {
    }

    /** Generates {@code spec} into {@code directory} with the default shard size; see {@link #generate(ModelSpec, Path, long)}. */
    public static List<Path> generate(ModelSpec spec, Path directory) {
        return generate(spec, directory, DEFAULT_SHARD_BYTES);
    }

    /**
     * Generates {@code spec} into {@code directory}, created if needed.
     *
     * @param maxShardBytes weights beyond this size are split into shards of at most this size
     * @return the files written: config.json, generation_config.json, tokenizer.json,
     *         tokenizer_config.json, then the weights (the index last when sharded)
     * @throws IllegalArgumentException when {@code directory} already holds a checkpoint, which a
     *         mix of old and new files would silently corrupt
     */
    public static List<Path> generate(ModelSpec spec, Path directory, long maxShardBytes) {
        try {
            Files.createDirectories(directory);
            refuseExistingCheckpoint(directory);
            List<Path> written = new ArrayList<>();
            GeneratedTokenizer tokenizer = GeneratedTokenizer.of(spec);
            written.add(writeJson(directory.resolve(ModelConfig.FILE), ConfigFile.of(spec, tokenizer)));
            written.add(writeJson(directory.resolve(GENERATION_CONFIG), ConfigFile.generation(tokenizer)));
            Path tokenizerJson = directory.resolve(ModelTokenizer.FILE);
            tokenizer.write(tokenizerJson);
            written.add(tokenizerJson);
            written.add(writeJson(directory.resolve(TOKENIZER_CONFIG), ConfigFile.tokenizer(spec, tokenizer)));
            List<List<PlannedTensor>> shards = Shards.split(WeightPlan.of(spec), spec.scale().dtype().bytes(),
                    maxShardBytes);
            if (shards.size() == 1) {
                written.add(writeShard(directory.resolve(Checkpoint.SINGLE_FILE), shards.get(0), spec));
                return written;
            }
            Map<String, String> weightMap = new TreeMap<>();
            long totalBytes = 0;
            for (int i = 0; i < shards.size(); i++) {
                String file = Shards.fileName(i, shards.size());
                written.add(writeShard(directory.resolve(file), shards.get(i), spec));
                for (PlannedTensor tensor : shards.get(i)) {
                    weightMap.put(tensor.name(), file);
                    totalBytes += tensor.elements() * spec.scale().dtype().bytes();
                }
            }
            Map<String, Object> index = new LinkedHashMap<>();
            index.put("metadata", Map.of("total_size", totalBytes));
            index.put("weight_map", weightMap);
            written.add(writeJson(directory.resolve(Checkpoint.INDEX_FILE), index));
            return written;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the checkpoint in " + directory + ": " + e.getMessage(), e);
        }
    }

    private static Path writeShard(Path file, List<PlannedTensor> tensors, ModelSpec spec) {
        Map<String, Tensor> drawn = new LinkedHashMap<>();
        for (PlannedTensor tensor : tensors) {
            drawn.put(tensor.name(), tensor.draw());
        }
        SafetensorsWriter.write(file, drawn, spec.scale().dtype());
        return file;
    }

    private static Path writeJson(Path file, Object content) throws IOException {
        Files.writeString(file, JSON.writeValueAsString(content) + "\n");
        return file;
    }

    private static void refuseExistingCheckpoint(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            List<String> existing = files.map(f -> f.getFileName().toString())
                    .filter(name -> name.equals(ModelConfig.FILE) || name.contains(".safetensors"))
                    .sorted()
                    .toList();
            if (!existing.isEmpty()) {
                throw new IllegalArgumentException(directory + " already holds a checkpoint (" + String.join(", ", existing)
                        + "); remove it or choose another directory");
            }
        }
    }
}
