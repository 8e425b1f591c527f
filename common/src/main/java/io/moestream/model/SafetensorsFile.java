package io.moestream.model;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * One open safetensors file. The header is read and checked when it opens; a tensor's bytes are
 * memory-mapped (read-only) only when that tensor is asked for, and widened to F32. Thread-safe:
 * it holds no state but the channel, whose {@code map} may be called concurrently.
 */
public final class SafetensorsFile implements AutoCloseable {

    /**
     * The largest single mapping. A MappedByteBuffer cannot exceed 2 GiB, so bigger tensors are
     * mapped and decoded a chunk at a time.
     */
    static final long MAX_CHUNK_BYTES = 1L << 30;

    private final Path file;
    private final FileChannel channel;
    private final SafetensorsHeader header;
    private final long maxChunkBytes;

    private SafetensorsFile(Path file, FileChannel channel, SafetensorsHeader header, long maxChunkBytes) {
        this.file = file;
        this.channel = channel;
        this.header = header;
        this.maxChunkBytes = maxChunkBytes;
    }

    /** Opens {@code file} and checks its header; fails with a {@link CheckpointException} naming the file. */
    public static SafetensorsFile open(Path file) {
        return open(file, MAX_CHUNK_BYTES);
    }

    /** As {@link #open(Path)}, mapping at most {@code maxChunkBytes} at a time (tests use small chunks). */
    static SafetensorsFile open(Path file, long maxChunkBytes) {
        FileChannel channel;
        try {
            channel = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new CheckpointException(file, null, "cannot open: " + e, e);
        }
        try {
            return new SafetensorsFile(file, channel, SafetensorsHeader.read(file, channel), maxChunkBytes);
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel, e);
            throw e instanceof CheckpointException ce ? ce
                    : new CheckpointException(file, null, "cannot read the header: " + e, e);
        }
    }

    public Path file() {
        return file;
    }

    /** The tensor names, in header order. */
    public Set<String> names() {
        return header.tensors().keySet();
    }

    public boolean has(String name) {
        return header.tensors().containsKey(name);
    }

    /** The header's {@code __metadata__} (e.g. {@code format=pt}); empty when it has none. */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** Reads tensor {@code name}, whatever its shape. */
    public Tensor tensor(String name) {
        return read(entry(name));
    }

    /** Reads tensor {@code name}, failing before any data is read unless its shape is {@code expectedShape}. */
    public Tensor tensor(String name, int... expectedShape) {
        TensorEntry entry = entry(name);
        if (!Arrays.equals(entry.shape(), expectedShape)) {
            throw new CheckpointException(file, name, "shape " + Arrays.toString(entry.shape())
                    + " does not match the expected " + Arrays.toString(expectedShape));
        }
        return read(entry);
    }

    private TensorEntry entry(String name) {
        TensorEntry entry = header.tensors().get(name);
        if (entry == null) {
            throw new CheckpointException(file, name, "no such tensor in the file (it has " + names().size() + ")");
        }
        return entry;
    }

    private Tensor read(TensorEntry entry) {
        DType type = DType.parse(entry.dtype()).orElseThrow(() -> new CheckpointException(file, entry.name(),
                "unsupported dtype " + entry.dtype() + " (supported: " + Arrays.toString(DType.values()) + ")"));
        long size = Tensor.size(entry.shape());
        // Java arrays stop just short of 2^31 elements (how short depends on the VM).
        if (size > Integer.MAX_VALUE - 8) {
            throw new CheckpointException(file, entry.name(), size + " values do not fit in one float[]");
        }
        float[] values = new float[(int) size];
        long perChunk = maxChunkBytes / type.bytes();
        try {
            for (long done = 0; done < size; done += perChunk) {
                int count = (int) Math.min(perChunk, size - done);
                long position = header.dataStart() + entry.begin() + done * type.bytes();
                MappedByteBuffer chunk = channel.map(FileChannel.MapMode.READ_ONLY, position, (long) count * type.bytes());
                type.decode(chunk.order(ByteOrder.LITTLE_ENDIAN), values, (int) done, count);
            }
        } catch (IOException e) {
            throw new CheckpointException(file, entry.name(), "cannot map the data: " + e, e);
        }
        return new Tensor(entry.shape(), values);
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new CheckpointException(file, null, "cannot close: " + e, e);
        }
    }

    private static void closeQuietly(FileChannel channel, Exception failure) {
        try {
            channel.close();
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }
}
