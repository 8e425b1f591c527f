package io.moestream.decoder;

import io.moestream.model.SafetensorsFile;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * One fixture of {@code conformance/} (the Python reference, dev-only): a checkpoint, its prompts,
 * and what the reference computed for them (logits of every prompt position, greedy continuations).
 */
record ConformanceCase(String name, Path directory, List<int[]> prompts, float[] logits, int vocab,
                       List<int[]> greedy, List<double[]> greedyLogprobs, double tolerance) {

    static Stream<ConformanceCase> all() {
        try {
            Path root = Path.of(ConformanceCase.class.getResource("/conformance").toURI());
            try (Stream<Path> dirs = Files.list(root)) {
                return dirs.filter(Files::isDirectory).sorted().map(ConformanceCase::read).toList().stream();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ConformanceCase read(Path directory) {
        JsonNode expected = JsonMapper.builder().build().readTree(directory.resolve("expected.json").toFile());
        try (SafetensorsFile file = SafetensorsFile.open(directory.resolve("expected.safetensors"))) {
            var logits = file.tensor("logits");
            return new ConformanceCase(directory.getFileName().toString(), directory, ints(expected.get("prompts")),
                    logits.data(), logits.shape()[1], ints(expected.get("greedy")),
                    doubles(expected.get("greedy_logprobs")), expected.get("tolerance").doubleValue());
        }
    }

    private static List<int[]> ints(JsonNode rows) {
        List<int[]> out = new ArrayList<>();
        rows.forEach(row -> {
            int[] values = new int[row.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = row.get(i).intValue();
            }
            out.add(values);
        });
        return out;
    }

    private static List<double[]> doubles(JsonNode rows) {
        List<double[]> out = new ArrayList<>();
        rows.forEach(row -> {
            double[] values = new double[row.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = row.get(i).doubleValue();
            }
            out.add(values);
        });
        return out;
    }

    /** The reference logits of prompt {@code p}, row {@code i}, as an offset into {@link #logits()}. */
    int row(int p, int i) {
        int offset = 0;
        for (int q = 0; q < p; q++) {
            offset += prompts.get(q).length;
        }
        return (offset + i) * vocab;
    }

    @Override
    public String toString() {
        return name;
    }
}
