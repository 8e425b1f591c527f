package io.moestream.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo's chart: per-expert load per policy as grouped bars (demand as a dashed outline around
 * each group), and each policy's p99 latency against its relative L2 error from dropless.
 */
final class DemoChart {

    static final int WIDTH = 1400;
    static final int HEIGHT = 560;

    private static final int TOP = 60;
    private static final int BOTTOM = HEIGHT - 70;

    private DemoChart() {
    }

    static void write(Path file, String title, List<PolicyRun> runs) throws IOException {
        Charts.Canvas canvas = Charts.Canvas.of(WIDTH, HEIGHT, title);
        loads(canvas.g(), 80, 820, runs);
        latencyAgainstFidelity(canvas.g(), 960, WIDTH - 40, runs);
        canvas.write(file);
    }

    private static void loads(Graphics2D g, int left, int right, List<PolicyRun> runs) {
        int experts = runs.get(0).load().length;
        double max = 0;
        for (PolicyRun run : runs) {
            for (int e = 0; e < experts; e++) {
                max = Math.max(max, Math.max(run.demand()[e], run.load()[e]));
            }
        }
        Charts.Frame f = new Charts.Frame(left, right, TOP, BOTTOM, 0, 1, 0, Charts.niceCeiling(max));
        Charts.axes(g, f, "slots over all prompts (dashed: demand)", "Per-expert load per policy");
        double group = (double) (f.right() - f.left()) / experts;
        double bar = group * 0.8 / runs.size();
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int e = 0; e < experts; e++) {
            int groupLeft = (int) Math.round(f.left() + e * group + group * 0.1);
            for (int p = 0; p < runs.size(); p++) {
                int x = (int) Math.round(groupLeft + p * bar);
                int load = f.y(runs.get(p).load()[e]);
                g.setColor(Charts.PALETTE[p % Charts.PALETTE.length]);
                g.fillRect(x, load, Math.max(1, (int) Math.round(bar) - 1), BOTTOM - load);
            }
            // Demand is the same under every policy: the tokens and their top-k do not change.
            int demand = f.y(runs.get(0).demand()[e]);
            g.setColor(Color.DARK_GRAY);
            g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {4, 3}, 0));
            g.drawRect(groupLeft - 2, demand, (int) Math.round(bar * runs.size()) + 2, BOTTOM - demand);
            g.setStroke(new BasicStroke(1));
            g.setColor(Color.BLACK);
            Charts.centred(g, Integer.toString(e), (int) Math.round(f.left() + (e + 0.5) * group), BOTTOM + 18);
        }
        Charts.centred(g, "expert", (f.left() + f.right()) / 2, BOTTOM + 40);
        Charts.legend(g, f.right() - 150, TOP + 10, 150, runs.stream().map(PolicyRun::policy).toList());
    }

    private static void latencyAgainstFidelity(Graphics2D g, int left, int right, List<PolicyRun> runs) {
        double maxLatency = Charts.niceCeiling(runs.stream().mapToDouble(PolicyRun::p99Ms).max().orElse(1) * 1.1);
        double maxError = Charts.niceCeiling(runs.stream().mapToDouble(PolicyRun::relativeL2).max().orElse(0) * 1.15);
        Charts.Frame f = new Charts.Frame(left, right, TOP, BOTTOM, 0, maxLatency, 0, maxError);
        Charts.axes(g, f, "relative L2 error vs dropless (mean)", "p99 latency against fidelity");
        Charts.xTicks(g, f, "p99 latency (ms)");
        List<Rectangle> labels = new ArrayList<>();
        for (int p = 0; p < runs.size(); p++) {
            PolicyRun run = runs.get(p);
            int x = f.x(run.p99Ms());
            int y = f.y(run.relativeL2());
            g.setColor(Charts.PALETTE[p % Charts.PALETTE.length]);
            g.fillOval(x - 6, y - 6, 12, 12);
            g.setColor(Color.BLACK);
            Rectangle label = Charts.placeLabel(g, run.policy(), x, y, labels, WIDTH);
            g.drawString(run.policy(), label.x, label.y + label.height - 3);
            labels.add(label);
        }
    }
}
