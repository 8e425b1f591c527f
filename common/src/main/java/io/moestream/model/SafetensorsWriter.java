package io.moestream.model;

import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes tensors as a safetensors file the way the reference implementation does: tensors sorted by
 * name and packed back to back, {@code __metadata__} {@code {"format": "pt"}} (which tells
 * transformers the file holds PyTorch weights), and the JSON header padded with spaces to a
 * multiple of 8 bytes so that the data starts aligned.
 */
public final class SafetensorsWriter {

    private static final int BUFFER_BYTES = 1 << 20;

    private SafetensorsWriter() {
    }

    /** Writes {@code tensors} to {@code file} (replacing it) with every value stored as {@code dtype}. */
    public static void write(Path file, Map<String, Tensor> tensors, DType dtype) {
        Map<String, Tensor> sorted = new TreeMap<>(tensors);
        if (sorted.containsKey(SafetensorsHeader.METADATA_KEY)) {
            throw new IllegalArgumentException(SafetensorsHeader.METADATA_KEY + " is reserved, not a tensor name");
        }
        byte[] header = header(sorted, dtype);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            buffer.putLong(header.length);
            write(channel, buffer.flip());
            write(channel, ByteBuffer.wrap(header));
            for (Tensor tensor : sorted.values()) {
                writeData(channel, buffer, tensor.data(), dtype);
            }
        } catch (IOException e) {
            throw new CheckpointException(file, null, "cannot write: " + e, e);
        }
    }

    private static byte[] header(Map<String, Tensor> tensors, DType dtype) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.putObject(SafetensorsHeader.METADATA_KEY).put("format", "pt");
        long offset = 0;
        for (Map.Entry<String, Tensor> named : tensors.entrySet()) {
            Tensor tensor = named.getValue();
            ObjectNode entry = root.putObject(named.getKey());
            entry.put("dtype", dtype.name());
            ArrayNode shape = entry.putArray("shape");
            for (int dim : tensor.shape()) {
                shape.add(dim);
            }
            long end = offset + (long) tensor.data().length * dtype.bytes();
            entry.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json = Json.MAPPER.writeValueAsBytes(root);
        byte[] padded = Arrays.copyOf(json, (json.length + 7) / 8 * 8);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        return padded;
    }

    private static void writeData(FileChannel channel, ByteBuffer buffer, float[] data, DType dtype) throws IOException {
        int perBuffer = BUFFER_BYTES / dtype.bytes();
        for (int done = 0; done < data.length; done += perBuffer) {
            buffer.clear();
            dtype.encode(data, done, Math.min(perBuffer, data.length - done), buffer);
            write(channel, buffer.flip());
        }
    }

    private static void write(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }
}
