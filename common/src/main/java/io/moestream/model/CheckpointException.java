package io.moestream.model;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A checkpoint or model configuration that cannot be read as asked. The message always names the
 * file and, where one is concerned, the tensor, so that a bad download or a wrong layer is found
 * without a debugger.
 */
public final class CheckpointException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String tensor;

    public CheckpointException(Path file, String tensor, String problem) {
        this(file, tensor, problem, null);
    }

    public CheckpointException(Path file, String tensor, String problem, Throwable cause) {
        super(file + (tensor == null ? "" : ": tensor '" + tensor + "'") + ": " + problem, cause);
        this.file = file;
        this.tensor = tensor;
    }

    /** A problem with the file as a whole rather than with one tensor. */
    static CheckpointException ofFile(Path file, String problem) {
        return new CheckpointException(file, null, problem);
    }

    /** The file that could not be read: a safetensors file, an index or a config.json. */
    public Path file() {
        return file;
    }

    /** The tensor concerned, if the problem is about one. */
    public Optional<String> tensor() {
        return Optional.ofNullable(tensor);
    }
}
