package io.moestream.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.Rectangle;
import java.awt.Shape;
import java.awt.geom.Ellipse2D;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The quality chart: held-out perplexity against the modelled speed-up over dropless, one line per
 * policy through its capacity factors (a marker shape per factor), dropless as the reference point.
 */
final class QualityChart {

    static final int WIDTH = 1400;
    static final int HEIGHT = 760;

    private static final int TOP = 60;
    private static final int BOTTOM = HEIGHT - 70;
    private static final int LEGEND_LEFT = 1080;

    private QualityChart() {
    }

    static void write(Path file, QualityReport report) throws IOException {
        Charts.Canvas canvas = Charts.Canvas.of(WIDTH, HEIGHT, "moe quality: " + report.title());
        Graphics2D g = canvas.g();
        Map<String, List<QualityReport.Figures>> rows = report.rows();
        List<QualityReport.Figures> all = rows.values().stream().flatMap(List::stream).toList();
        double xMin = Math.min(1, all.stream().mapToDouble(QualityReport.Figures::speedUp).min().orElse(1));
        double xMax = all.stream().mapToDouble(QualityReport.Figures::speedUp).max().orElse(1);
        double yMin = all.stream().mapToDouble(QualityReport.Figures::perplexity).min().orElse(0);
        double yMax = all.stream().mapToDouble(QualityReport.Figures::perplexity).max().orElse(1);
        double[] xRange = Charts.niceRange(xMin, xMax);
        double[] yRange = Charts.niceRange(yMin, yMax);
        Charts.Frame f = new Charts.Frame(90, LEGEND_LEFT - 60, TOP, BOTTOM, xRange[0], xRange[1], yRange[0],
                yRange[1]);
        Charts.axes(g, f, "held-out perplexity", "Perplexity against speed-up, per policy and capacity factor");
        Charts.xTicks(g, f, "modelled speed-up over dropless (busiest rank, " + report.ranks() + " ranks)");
        List<String> names = new ArrayList<>(rows.keySet());
        List<List<QualityReport.Figures>> lines = new ArrayList<>(rows.values());
        // Dropless, the first row, is one configuration whatever the column: one black star, no line.
        g.setColor(Color.BLACK);
        g.fill(star(f.x(lines.get(0).get(0).speedUp()), f.y(lines.get(0).get(0).perplexity()), 9));
        g.setStroke(new BasicStroke(2));
        for (int r = 1; r < lines.size(); r++) {
            List<QualityReport.Figures> cells = lines.get(r);
            g.setColor(Charts.PALETTE[(r - 1) % Charts.PALETTE.length]);
            for (int c = 0; c < cells.size(); c++) {
                int x = f.x(cells.get(c).speedUp());
                int y = f.y(cells.get(c).perplexity());
                if (c > 0) {
                    g.drawLine(f.x(cells.get(c - 1).speedUp()), f.y(cells.get(c - 1).perplexity()), x, y);
                }
                g.fill(marker(c, x, y));
            }
        }
        g.setStroke(new BasicStroke(1));
        Charts.legend(g, LEGEND_LEFT, TOP + 10, WIDTH - LEGEND_LEFT - 10, names.subList(1, names.size()));
        markerLegend(g, LEGEND_LEFT, TOP + 30 + 18 * names.size(), report.capacityFactors());
        canvas.write(file);
    }

    /** A circle, square, triangle and diamond for the first four capacity factors, then around again. */
    private static Shape marker(int factorIndex, int x, int y) {
        int r = 6;
        return switch (factorIndex % 4) {
            case 0 -> new Ellipse2D.Double(x - r, y - r, 2 * r, 2 * r);
            case 1 -> new Rectangle(x - r + 1, y - r + 1, 2 * r - 2, 2 * r - 2);
            case 2 -> new Polygon(new int[] {x, x + r, x - r}, new int[] {y - r, y + r, y + r}, 3);
            default -> new Polygon(new int[] {x, x + r, x, x - r}, new int[] {y - r, y, y + r, y}, 4);
        };
    }

    private static Shape star(int x, int y, int r) {
        Polygon star = new Polygon();
        for (int k = 0; k < 10; k++) {
            double angle = Math.PI / 2 + k * Math.PI / 5;
            double radius = k % 2 == 0 ? r : r * 0.45;
            star.addPoint(x + (int) Math.round(radius * Math.cos(angle)), y - (int) Math.round(radius * Math.sin(angle)));
        }
        return star;
    }

    private static void markerLegend(Graphics2D g, int x, int y, List<Double> factors) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(Color.BLACK);
        g.drawString("capacity factor:", x, y + 11);
        for (int c = 0; c < factors.size(); c++) {
            int row = y + 18 * (c + 1);
            g.fill(marker(c, x + 6, row + 6));
            g.drawString(String.format(Locale.ROOT, "%s", factors.get(c)), x + 18, row + 11);
        }
        int row = y + 18 * (factors.size() + 1);
        g.fill(star(x + 6, row + 6, 8));
        g.drawString("dropless (no capacity, 1x)", x + 18, row + 11);
    }
}
