package io.moestream.cli;

import io.moestream.routing.RoutingResult;
import io.moestream.routing.RoutingStats;
import io.moestream.routing.Slot;
import io.moestream.routing.SpecName;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Writes the routing of each step as one JSON line: {@code {"capacity": C or null, "tokens":
 * [{"kept": [{"expert": e, "kind": k, "weight": w}], "dropped": [e, ...]}], "stats": {...}}}, with
 * kept slots by expert id and {@code stats} holding every field of {@link RoutingStats}.
 */
final class PlanWriter implements Consumer<RoutingResult>, Closeable {

    private record KeptSlot(int expert, String kind, double weight) {
    }

    private record TokenPlan(List<KeptSlot> kept, int[] dropped) {
    }

    private record StepPlan(Integer capacity, List<TokenPlan> tokens, RoutingStats stats) {
    }

    private final Writer out;

    PlanWriter(Writer out) {
        this.out = out;
    }

    @Override
    public void accept(RoutingResult result) {
        List<TokenPlan> tokens = new ArrayList<>(result.tokens());
        for (int t = 0; t < result.tokens(); t++) {
            List<KeptSlot> kept = new ArrayList<>();
            for (Slot slot : result.kept(t)) {
                kept.add(new KeptSlot(slot.expert(), SpecName.of(slot.kind()), slot.weight()));
            }
            tokens.add(new TokenPlan(kept, result.dropped(t)));
        }
        try {
            out.write(Json.MAPPER.writeValueAsString(new StepPlan(result.capacity(), tokens, result.stats())));
            out.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
