package io.moestream.cli;

import io.moestream.decoder.LayerRouting;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/** Routing figures per MoE layer, summed over every step the layer routed, and their table. */
final class LayerTable implements Consumer<LayerRouting> {

    private final int experts;
    private final Map<Integer, ReplayTotals> byLayer = new TreeMap<>();
    private final ReplayTotals all;

    LayerTable(int experts) {
        this.experts = experts;
        this.all = new ReplayTotals(experts);
    }

    @Override
    public void accept(LayerRouting routing) {
        byLayer.computeIfAbsent(routing.layer(), l -> new ReplayTotals(experts)).accept(routing.routing());
        all.accept(routing.routing());
    }

    Map<Integer, ReplayTotals> byLayer() {
        return byLayer;
    }

    /** Every layer's steps together. */
    ReplayTotals total() {
        return all;
    }

    void print(PrintWriter out) {
        out.println("layer  steps  drop rate  expert straggler (max)  rank straggler  balancedness  gate mass kept");
        byLayer.forEach((layer, t) -> out.println(row(String.valueOf(layer), t)));
        if (byLayer.size() > 1) {
            out.println(row("all", all));
        }
        out.println("straggler: busiest over mean load, mean over steps; balancedness: mean over max load (1 = even)");
    }

    private static String row(String layer, ReplayTotals t) {
        return String.format(Locale.ROOT, "%5s  %5d  %9s  %9.2f (%6.2f)      %14.2f  %12.2f  %14s", layer, t.steps(),
                Reports.percent(t.dropRate()), t.meanExpertStraggler(), t.maxExpertStraggler(), t.meanRankStraggler(),
                t.meanBalancedness(), Reports.percent(t.meanGateMassKept()));
    }
}
