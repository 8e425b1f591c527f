package io.moestream.expert;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The experts a kernel hosts, each in the kernel's own resident form {@code E} (the weights themselves,
 * native buffers, device buffers), and the argument checks every {@link ExpertKernel#forward} owes its
 * caller. Resident forms are released in {@link #close()}, and also when placing a later expert fails, so
 * that a half-built kernel leaks nothing.
 */
public final class HostedExperts<E> implements AutoCloseable {

    private record Hosted<E>(int hidden, E resident) {
    }

    private final SortedMap<Integer, Hosted<E>> byId;
    private final Consumer<E> release;
    private boolean closed;

    /**
     * @param place   makes the resident form of one expert (on the calling thread, in ascending id order)
     * @param release frees a resident form; called at most once for each
     */
    public HostedExperts(Map<Integer, ExpertWeights> weights, Function<ExpertWeights, E> place, Consumer<E> release) {
        this.release = Objects.requireNonNull(release, "release");
        SortedMap<Integer, Hosted<E>> placed = new TreeMap<>();
        try {
            for (Map.Entry<Integer, ExpertWeights> entry : new TreeMap<>(weights).entrySet()) {
                ExpertWeights expert = Objects.requireNonNull(entry.getValue(), "weights of expert " + entry.getKey());
                placed.put(entry.getKey(), new Hosted<>(expert.hidden(), place.apply(expert)));
            }
        } catch (RuntimeException | Error e) {
            releaseAll(placed.values());
            throw e;
        }
        this.byId = Collections.unmodifiableSortedMap(placed);
    }

    /** Experts whose resident form is the weights themselves. */
    public static HostedExperts<ExpertWeights> asGiven(Map<Integer, ExpertWeights> weights) {
        return new HostedExperts<>(weights, Function.identity(), w -> { });
    }

    /**
     * The resident form of {@code expert}, after checking the arguments of a forward call.
     *
     * @throws IllegalArgumentException if the expert is not hosted here, rows is negative, or x or y hold
     *                                  fewer than {@code rows * hidden} values
     * @throws IllegalStateException    after {@link #close()}
     */
    public E checkedGet(int expert, float[] x, int rows, float[] y) {
        if (closed) {
            throw new IllegalStateException("the kernel is closed");
        }
        Hosted<E> hosted = byId.get(expert);
        if (hosted == null) {
            throw new IllegalArgumentException("expert " + expert + " is not hosted here; hosted: " + byId.keySet());
        }
        if (rows < 0) {
            throw new IllegalArgumentException("rows must not be negative, got " + rows);
        }
        long needed = (long) rows * hosted.hidden();
        checkLength("x", x, needed, rows, hosted.hidden());
        checkLength("y", y, needed, rows, hosted.hidden());
        return hosted.resident();
    }

    /** The hosted expert ids, ascending. */
    public List<Integer> ids() {
        return List.copyOf(byId.keySet());
    }

    /** Releases every resident form; later calls do nothing. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            releaseAll(byId.values());
        }
    }

    private void releaseAll(Collection<Hosted<E>> hosted) {
        for (Hosted<E> h : hosted) {
            release.accept(h.resident());
        }
    }

    private static void checkLength(String name, float[] values, long needed, int rows, int hidden) {
        Objects.requireNonNull(values, name);
        if (values.length < needed) {
            throw new IllegalArgumentException(name + " has " + values.length + " values, need rows * hidden = "
                    + rows + " * " + hidden + " = " + needed);
        }
    }
}
