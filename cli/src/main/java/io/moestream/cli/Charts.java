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
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** What the reports' PNG charts share: the canvas, the palette, axes with round ticks, labels and legends. */
final class Charts {

    /** Twelve colours, one per policy line, told apart without a legend's help as far as twelve can be. */
    static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf),
        new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x393b79), new Color(0xad494a)};

    private Charts() {
    }

    /** An image to draw on, white, with its title at the top left. */
    record Canvas(BufferedImage image, Graphics2D g) {

        static Canvas of(int width, int height, String title) {
            // A server or CI machine has no display; the chart only draws into memory.
            System.setProperty("java.awt.headless", "true");
            BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
            g.drawString(title, 20, 26);
            return new Canvas(image, g);
        }

        void write(Path file) throws IOException {
            g.dispose();
            ImageIO.write(image, "png", file.toFile());
        }
    }

    /** A plotting area and the ranges of its axes: x from {@code left} to {@code right}, y from {@code bottom} up to {@code top}. */
    record Frame(int left, int right, int top, int bottom, double xMin, double xMax, double yMin, double yMax) {

        int x(double value) {
            return left + (int) Math.round((value - xMin) / (xMax - xMin) * (right - left));
        }

        int y(double value) {
            return bottom - (int) Math.round((value - yMin) / (yMax - yMin) * (bottom - top));
        }
    }

    /** The y axis with five ticks and its label, the x axis line, and the panel's title. */
    static void axes(Graphics2D g, Frame f, String yLabel, String title) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        centred(g, title, (f.left() + f.right()) / 2, f.top() - 14);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setStroke(new BasicStroke(1));
        for (int i = 0; i <= 4; i++) {
            double value = f.yMin() + (f.yMax() - f.yMin()) * i / 4;
            int y = f.y(value);
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(f.left(), y, f.right(), y);
            g.setColor(Color.BLACK);
            String label = format(value);
            g.drawString(label, f.left() - 8 - g.getFontMetrics().stringWidth(label), y + 4);
        }
        g.drawLine(f.left(), f.top(), f.left(), f.bottom());
        g.drawLine(f.left(), f.bottom(), f.right(), f.bottom());
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        centred(g, yLabel, -(f.top() + f.bottom()) / 2, f.left() - 52);
        g.setTransform(saved);
    }

    /** Five ticks under the x axis, and its label. */
    static void xTicks(Graphics2D g, Frame f, String xLabel) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int i = 0; i <= 4; i++) {
            double value = f.xMin() + (f.xMax() - f.xMin()) * i / 4;
            centred(g, format(value), f.x(value), f.bottom() + 18);
        }
        centred(g, xLabel, (f.left() + f.right()) / 2, f.bottom() + 40);
    }

    /** A filled square in each name's palette colour, then the name, one per line. */
    static void legend(Graphics2D g, int x, int y, int width, List<String> names) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setColor(Color.WHITE);
        g.fillRect(x - 6, y - 4, width, 18 * names.size() + 6);
        for (int i = 0; i < names.size(); i++) {
            g.setColor(PALETTE[i % PALETTE.length]);
            g.fillRect(x, y + 18 * i, 12, 12);
            g.setColor(Color.BLACK);
            g.drawString(names.get(i), x + 18, y + 18 * i + 11);
        }
    }

    /**
     * The first spot around the point, right or left of it, where the label overlaps no label drawn
     * before and stays left of {@code maxRight}.
     */
    static Rectangle placeLabel(Graphics2D g, String text, int x, int y, List<Rectangle> taken, int maxRight) {
        int width = g.getFontMetrics().stringWidth(text);
        int height = g.getFontMetrics().getHeight();
        Rectangle candidate = null;
        for (int lift : new int[] {0, 1, -1, 2, -2, 3, -3}) {
            for (int side : new int[] {1, -1}) {
                int left = side > 0 ? x + 9 : x - 9 - width;
                candidate = new Rectangle(left, y - height + 2 - lift * height, width, height);
                Rectangle c = candidate;
                if (left < maxRight - width && taken.stream().noneMatch(c::intersects)) {
                    return candidate;
                }
            }
        }
        return candidate;
    }

    static void centred(Graphics2D g, String text, int x, int y) {
        g.drawString(text, x - g.getFontMetrics().stringWidth(text) / 2, y);
    }

    /** A round number at least {@code value}, so that the quarter ticks are round numbers too. */
    static double niceCeiling(double value) {
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

    /**
     * The narrowest range {@code [lo, lo + 4 * step]} holding {@code [min, max]} whose step is a round
     * number (1, 2, 2.5 or 5 times a power of ten), so that an axis's five ticks are round numbers.
     */
    static double[] niceRange(double min, double max) {
        double span = max > min ? max - min : Math.max(Math.abs(max), 1) * 0.1;
        double power = Math.pow(10, Math.floor(Math.log10(span / 4)));
        for (int decade = 0; ; decade++) {
            for (double unit : new double[] {1, 2, 2.5, 5}) {
                double step = unit * power * Math.pow(10, decade);
                double lo = Math.floor(min / step) * step;
                if (lo + 4 * step >= max) {
                    return new double[] {lo, lo + 4 * step};
                }
            }
        }
    }

    static String format(double value) {
        return value == Math.rint(value) ? String.format(Locale.ROOT, "%.0f", value)
                : value >= 0.1 ? String.format(Locale.ROOT, "%.2f", value) : String.format(Locale.ROOT, "%.3f", value);
    }
}
