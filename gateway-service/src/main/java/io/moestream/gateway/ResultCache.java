package io.moestream.gateway;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * What the REST API knows about requests: those this instance took and is waiting for, and the latest
 * results read from {@code layer-results}, at most {@code capacity} of them, least recently used out first.
 * A request taken by another gateway instance is unknown here until its result arrives.
 */
public final class ResultCache {

    private final Map<String, CompletableFuture<String>> entries;

    public ResultCache(int capacity) {
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, CompletableFuture<String>> eldest) {
                return size() > capacity;
            }
        };
    }

    /**
     * Marks a request as taken and pending.
     *
     * @return {@code false} when the id is already pending here or its result is known here: reassembly
     *         writes one result per request id, so a second request under it would never get its own
     */
    public synchronized boolean expect(String id) {
        if (entries.containsKey(id)) {
            return false;
        }
        entries.put(id, new CompletableFuture<>());
        return true;
    }

    public synchronized void complete(String id, String resultJson) {
        CompletableFuture<String> entry = entries.get(id);
        if (entry == null || entry.isDone()) {
            entries.put(id, CompletableFuture.completedFuture(resultJson));
        } else {
            entry.complete(resultJson);
        }
    }

    /** The request's result, done or pending, or {@code null} when the id is unknown here. */
    public synchronized CompletableFuture<String> get(String id) {
        return entries.get(id);
    }
}
