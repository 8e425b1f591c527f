package io.moestream.model;

import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * A conformance fixture ({@code /conformance/<name>}) read into memory, so that a test can change one
 * setting of its config.json or one of its tensors and write the result as a new checkpoint.
 */
public final class FixtureCopy {

    private final ObjectNode config;
    private final Map<String, Tensor> tensors = new TreeMap<>();

    private FixtureCopy(Path directory) {
        this.config = (ObjectNode) Json.readObject(directory.resolve(ModelConfig.FILE));
        try (Checkpoint checkpoint = Checkpoint.open(directory)) {
            for (String name : checkpoint.names()) {
                Tensor tensor = checkpoint.tensor(name);
                tensors.put(name, Tensor.of(tensor.data().clone(), tensor.shape()));
            }
        }
    }

    /** The fixture {@code name}, such as {@code mixtral-f32}. */
    public static FixtureCopy of(String name) {
        return new FixtureCopy(directory(name));
    }

    /** Where the fixture {@code name} lies, unchanged. */
    public static Path directory(String name) {
        try {
            return Path.of(FixtureCopy.class.getResource("/conformance/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The config.json to edit. */
    public ObjectNode config() {
        return config;
    }

    /** The tensors to edit, by name. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /** The data of tensor {@code name}, to edit in place. */
    public float[] data(String name) {
        return tensors.get(name).data();
    }

    /** Writes config.json and one F32 model.safetensors (F16 and BF16 values are exact in F32) into {@code dir}. */
    public Path write(Path dir) {
        try {
            Files.writeString(dir.resolve(ModelConfig.FILE), Json.MAPPER.writeValueAsString(config));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        SafetensorsWriter.write(dir.resolve(Checkpoint.SINGLE_FILE), tensors, DType.F32);
        return dir;
    }
}
