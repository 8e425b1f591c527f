package io.moestream.model;

import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The header of a safetensors file: an 8-byte little-endian length N, then N bytes of JSON mapping
 * each tensor name to its dtype, shape and data_offsets, plus an optional string map
 * {@code __metadata__}. Everything a read could trip over later is checked here, once per file.
 *
 * @param dataStart file position of the data section, which data_offsets are relative to
 */
record SafetensorsHeader(long dataStart, Map<String, TensorEntry> tensors, Map<String, String> metadata) {

    static final String METADATA_KEY = "__metadata__";

    /** The reference implementation refuses larger headers; a corrupt length must not allocate gigabytes. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    static SafetensorsHeader read(Path file, FileChannel channel) throws IOException {
        long fileSize = channel.size();
        if (fileSize < Long.BYTES) {
            throw CheckpointException.ofFile(file, "truncated: the file has " + fileSize
                    + " bytes, fewer than the 8-byte header length");
        }
        long headerLength = readFully(channel, 0, Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerLength < 0 || headerLength > fileSize - Long.BYTES) {
            throw CheckpointException.ofFile(file, "header length " + Long.toUnsignedString(headerLength)
                    + " goes beyond the end of the file (" + fileSize + " bytes): truncated or not a safetensors file");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw CheckpointException.ofFile(file, "header length " + headerLength + " exceeds the "
                    + MAX_HEADER_BYTES + "-byte limit of the format");
        }
        byte[] json = readFully(channel, Long.BYTES, (int) headerLength).array();
        long dataStart = Long.BYTES + headerLength;
        return parse(file, Json.object(file, json, "the header"), fileSize - dataStart, dataStart);
    }

    private static SafetensorsHeader parse(Path file, JsonNode root, long dataLength, long dataStart) {
        Map<String, TensorEntry> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = Map.of();
        for (Map.Entry<String, JsonNode> property : root.properties()) {
            if (property.getKey().equals(METADATA_KEY)) {
                metadata = metadata(file, property.getValue());
            } else {
                TensorEntry entry = entry(file, property.getKey(), property.getValue());
                checkOffsets(file, entry, dataLength);
                tensors.put(entry.name(), entry);
            }
        }
        return new SafetensorsHeader(dataStart, Collections.unmodifiableMap(tensors), metadata);
    }

    private static Map<String, String> metadata(Path file, JsonNode node) {
        if (!node.isObject()) {
            throw CheckpointException.ofFile(file, METADATA_KEY + " must be an object of strings");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> property : node.properties()) {
            if (!property.getValue().isString()) {
                throw CheckpointException.ofFile(file, METADATA_KEY + "." + property.getKey() + " must be a string");
            }
            metadata.put(property.getKey(), property.getValue().stringValue());
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static TensorEntry entry(Path file, String name, JsonNode node) {
        if (!node.isObject()) {
            throw new CheckpointException(file, name, "header entry must be an object with dtype, shape and data_offsets");
        }
        JsonNode dtype = node.get("dtype");
        if (dtype == null || !dtype.isString()) {
            throw new CheckpointException(file, name, "header entry has no dtype string");
        }
        long[] shape = nonNegativeLongs(file, name, node.get("shape"), -1, "shape");
        long[] offsets = nonNegativeLongs(file, name, node.get("data_offsets"), 2, "data_offsets");
        int[] dims = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] > Integer.MAX_VALUE) {
                throw new CheckpointException(file, name, "shape " + Arrays.toString(shape) + " has a dimension beyond 2^31-1");
            }
            dims[i] = (int) shape[i];
        }
        return new TensorEntry(name, dtype.stringValue(), dims, offsets[0], offsets[1]);
    }

    /** A JSON array of non-negative integers, of {@code length} elements unless that is -1. */
    private static long[] nonNegativeLongs(Path file, String name, JsonNode node, int length, String field) {
        if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
            throw new CheckpointException(file, name, field + " must be an array of "
                    + (length >= 0 ? length + " " : "") + "non-negative integers, got " + node);
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = Json.nonNegativeLong(node.get(i));
            if (values[i] < 0) {
                throw new CheckpointException(file, name, field + " must hold non-negative integers, got " + node);
            }
        }
        return values;
    }

    private static void checkOffsets(Path file, TensorEntry entry, long dataLength) {
        String offsets = "data_offsets [" + entry.begin() + ", " + entry.end() + "]";
        if (entry.end() < entry.begin()) {
            throw new CheckpointException(file, entry.name(), offsets + " end before they begin");
        }
        if (entry.end() > dataLength) {
            throw new CheckpointException(file, entry.name(), offsets + " reach beyond the " + dataLength
                    + " bytes of data in the file: truncated file or bad offsets");
        }
        DType.parse(entry.dtype()).ifPresent(type -> {
            long expected = byteSize(file, entry, type);
            if (entry.end() - entry.begin() != expected) {
                throw new CheckpointException(file, entry.name(), offsets + " span " + (entry.end() - entry.begin())
                        + " bytes, but shape " + Arrays.toString(entry.shape()) + " of " + type + " needs " + expected);
            }
        });
    }

    private static long byteSize(Path file, TensorEntry entry, DType type) {
        try {
            return Math.multiplyExact(Tensor.size(entry.shape()), type.bytes());
        } catch (ArithmeticException e) {
            throw new CheckpointException(file, entry.name(), "shape " + Arrays.toString(entry.shape()) + " is too large", e);
        }
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("unexpected end of file at byte " + (position + buffer.position()));
            }
        }
        return buffer.flip();
    }
}
