package io.moestream.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The demo's chart: per-expert load per policy as grouped bars (demand as a dashed outline around
 * each group), and each policy's p99 latency against its relative L2 error from dropless.
 */
final class DemoChart {

    static final int WIDTH = 1400;
    static final int HEIGHT = 560;

    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};
    private static final int TOP = 60;
    private static final int BOTTOM = HEIGHT - 70;

    private DemoChart() {
    }

    static void write(Path file, String title, List<PolicyRun> runs) throws IOException {
        // A server or CI machine has no display; the chart only draws into memory.
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, 20, 26);
        loads(g, new Frame(80, 820), runs);
        latencyAgainstFidelity(g, new Frame(960, WIDTH - 40), runs);
        g.dispose();
        ImageIO.write(image, "png", file.toFile());
    }

    /** A plotting area: x from {@code left} to {@code right}, y from {@link #TOP} to {@link #BOTTOM}. */
    private record Frame(int left, int right) {

        int x(double value, double max) {
            return left + (int) Math.round(value / max * (right - left));
        }

        int y(double value, double max) {
            return BOTTOM - (int) Math.round(value / max * (BOTTOM - TOP));
        }
    }

    private static void loads(Graphics2D g, Frame f, List<PolicyRun> runs) {
        int experts = runs.get(0).load().length;
        double max = 0;
        for (PolicyRun run : runs) {
            for (int e = 0; e < experts; e++) {
                max = Math.max(max, Math.max(run.demand()[e], run.load()[e]));
            }
        }
        max = niceCeiling(max);
        axes(g, f, max, "slots over all prompts (dashed: demand)", "Per-expert load per policy");
        double group = (double) (f.right() - f.left()) / experts;
        double bar = group * 0.8 / runs.size();
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int e = 0; e < experts; e++) {
            int groupLeft = (int) Math.round(f.left() + e * group + group * 0.1);
            for (int p = 0; p < runs.size(); p++) {
                int x = (int) Math.round(groupLeft + p * bar);
                int load = f.y(runs.get(p).load()[e], max);
                g.setColor(PALETTE[p % PALETTE.length]);
                g.fillRect(x, load, Math.max(1, (int) Math.round(bar) - 1), BOTTOM - load);
            }
            // Demand is the same under every policy: the tokens and their top-k do not change.
            int demand = f.y(runs.get(0).demand()[e], max);
            g.setColor(Color.DARK_GRAY);
            g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {4, 3}, 0));
            g.drawRect(groupLeft - 2, demand, (int) Math.round(bar * runs.size()) + 2, BOTTOM - demand);
            g.setStroke(new BasicStroke(1));
            g.setColor(Color.BLACK);
            centred(g, Integer.toString(e), (int) Math.round(f.left() + (e + 0.5) * group), BOTTOM + 18);
        }
        centred(g, "expert", (f.left() + f.right()) / 2, BOTTOM + 40);
        legend(g, f.right() - 150, TOP + 10, runs);
    }

    private static void latencyAgainstFidelity(Graphics2D g, Frame f, List<PolicyRun> runs) {
        double maxLatency = niceCeiling(runs.stream().mapToDouble(PolicyRun::p99Ms).max().orElse(1) * 1.1);
        double maxError = niceCeiling(runs.stream().mapToDouble(PolicyRun::relativeL2).max().orElse(0) * 1.15);
        axes(g, f, maxError, "relative L2 error vs dropless (mean)", "p99 latency against fidelity");
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i <= 4; i++) {
            double value = maxLatency * i / 4;
            centred(g, format(value), f.x(value, maxLatency), BOTTOM + 18);
        }
        centred(g, "p99 latency (ms)", (f.left() + f.right()) / 2, BOTTOM + 40);
        List<Rectangle> labels = new ArrayList<>();
        for (int p = 0; p < runs.size(); p++) {
            PolicyRun run = runs.get(p);
            int x = f.x(run.p99Ms(), maxLatency);
            int y = f.y(run.relativeL2(), maxError);
            g.setColor(PALETTE[p % PALETTE.length]);
            g.fillOval(x - 6, y - 6, 12, 12);
            g.setColor(Color.BLACK);
            Rectangle label = placeLabel(g, run.policy(), x, y, labels);
            g.drawString(run.policy(), label.x, label.y + label.height - 3);
            labels.add(label);
        }
    }

    /** The first spot around the point, right or left of it, where the label overlaps no label drawn before. */
    private static Rectangle placeLabel(Graphics2D g, String text, int x, int y, List<Rectangle> taken) {
        int width = g.getFontMetrics().stringWidth(text);
        int height = g.getFontMetrics().getHeight();
        Rectangle candidate = null;
        for (int lift : new int[] {0, 1, -1, 2, -2, 3, -3}) {
            for (int side : new int[] {1, -1}) {
                int left = side > 0 ? x + 9 : x - 9 - width;
                candidate = new Rectangle(left, y - height + 2 - lift * height, width, height);
                Rectangle c = candidate;
                if (left < WIDTH - width && taken.stream().noneMatch(c::intersects)) {
                    return candidate;
                }
            }
        }
        return candidate;
    }

    /** The y axis with ticks and its label, the x axis line, and the panel's title. */
    private static void axes(Graphics2D g, Frame f, double max, String yLabel, String title) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        centred(g, title, (f.left() + f.right()) / 2, TOP - 14);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setStroke(new BasicStroke(1));
        for (int i = 0; i <= 4; i++) {
            double value = max * i / 4;
            int y = f.y(value, max);
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(f.left(), y, f.right(), y);
            g.setColor(Color.BLACK);
            String label = format(value);
            g.drawString(label, f.left() - 8 - g.getFontMetrics().stringWidth(label), y + 4);
        }
        g.drawLine(f.left(), TOP, f.left(), BOTTOM);
        g.drawLine(f.left(), BOTTOM, f.right(), BOTTOM);
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        centred(g, yLabel, -(TOP + BOTTOM) / 2, f.left() - 52);
        g.setTransform(saved);
    }

    private static void legend(Graphics2D g, int x, int y, List<PolicyRun> runs) {
        g.setColor(Color.WHITE);
        g.fillRect(x - 6, y - 4, 150, 18 * runs.size() + 6);
        for (int p = 0; p < runs.size(); p++) {
            g.setColor(PALETTE[p % PALETTE.length]);
            g.fillRect(x, y + 18 * p, 12, 12);
            g.setColor(Color.BLACK);
            g.drawString(runs.get(p).policy(), x + 18, y + 18 * p + 11);
        }
    }

    private static void centred(Graphics2D g, String text, int x, int y) {
        g.drawString(text, x - g.getFontMetrics().stringWidth(text) / 2, y);
    }

    /** A round number at least {@code value}, so that the quarter ticks are round numbers too. */
    private static double niceCeiling(double value) {
        if (value <= 0) {
            return 1;
        }
        double power = Math.pow(10, Math.floor(Math.log10(value)));
        for (double step : new double[] {1, 2, 3, 4, 5, 6, 8, 10}) {
            if (step * power >= value) {
                return step * power;
            }
        }
        return 10 * power;
    }

    private static String format(double value) {
        return value == Math.rint(value) ? String.format(Locale.ROOT, "%.0f", value)
                : value >= 0.1 ? String.format(Locale.ROOT, "%.2f", value) : String.format(Locale.ROOT, "%.3f", value);
    }
}
