package io.moestream.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model directory in the Hugging Face layout: one {@code model.safetensors}, or shards listed by
 * {@code model.safetensors.index.json}. Tensors load lazily, one at a time, and a shard is opened
 * only when one of its tensors is first asked for, so a process that hosts a few experts touches
 * only the shards that hold them (the other shards need not even be on its disk). Thread-safe.
 */
public final class Checkpoint implements AutoCloseable {

    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private final Path directory;
    /** The file that lists the tensors (the single file or the index): where a missing tensor is reported. */
    private final Path listing;
    private final Map<String, String> shardOf;
    private final Map<String, SafetensorsFile> opened = new HashMap<>();
    private boolean closed;

    private Checkpoint(Path directory, Path listing, Map<String, String> shardOf) {
        this.directory = directory;
        this.listing = listing;
        this.shardOf = shardOf;
    }

    /**
     * Opens the checkpoint in {@code directory}, preferring {@code model.safetensors} when both
     * layouts are present, as transformers does.
     */
    public static Checkpoint open(Path directory) {
        Path single = directory.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            SafetensorsFile file = SafetensorsFile.open(single);
            Map<String, String> shardOf = new LinkedHashMap<>();
            file.names().forEach(name -> shardOf.put(name, SINGLE_FILE));
            Checkpoint checkpoint = new Checkpoint(directory, single, Collections.unmodifiableMap(shardOf));
            checkpoint.opened.put(SINGLE_FILE, file);
            return checkpoint;
        }
        Path index = directory.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return new Checkpoint(directory, index, ShardIndex.read(index));
        }
        throw CheckpointException.ofFile(directory, "holds neither " + SINGLE_FILE + " nor " + INDEX_FILE);
    }

    public Path directory() {
        return directory;
    }

    /** Every tensor name in the checkpoint, in file or index order; listing them opens no shard. */
    public Set<String> names() {
        return shardOf.keySet();
    }

    public boolean has(String name) {
        return shardOf.containsKey(name);
    }

    /** Loads tensor {@code name}, whatever its shape. */
    public Tensor tensor(String name) {
        return shard(name).tensor(name);
    }

    /** Loads tensor {@code name}, failing before any data is read unless its shape is {@code expectedShape}. */
    public Tensor tensor(String name, int... expectedShape) {
        return shard(name).tensor(name, expectedShape);
    }

    private synchronized SafetensorsFile shard(String name) {
        if (closed) {
            throw new IllegalStateException("checkpoint " + directory + " is closed");
        }
        String shard = shardOf.get(name);
        if (shard == null) {
            throw new CheckpointException(listing, name, "no such tensor in the checkpoint");
        }
        SafetensorsFile file = opened.computeIfAbsent(shard, s -> SafetensorsFile.open(directory.resolve(s)));
        if (!file.has(name)) {
            throw new CheckpointException(file.file(), name, INDEX_FILE + " puts the tensor in this shard, but its header does not list it");
        }
        return file;
    }

    /** Closes the shards opened so far; fails, after closing all it can, if any would not close. */
    @Override
    public synchronized void close() {
        closed = true;
        List<RuntimeException> failures = new ArrayList<>();
        for (SafetensorsFile file : opened.values()) {
            try {
                file.close();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        opened.clear();
        if (!failures.isEmpty()) {
            RuntimeException first = failures.get(0);
            failures.subList(1, failures.size()).forEach(first::addSuppressed);
            throw first;
        }
    }
}
