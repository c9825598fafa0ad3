package dev.fedgrid.gateway.reports;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Lays out and draws a {@link Chart} on a {@link Canvas}: the title, axes with rounded ticks, the
 * series (lines with a dot per point, or grouped bars) and a legend. One layout for both canvases
 * is what keeps the report's SVG and its PNG files identical in content.
 *
 * <p>Ticks: the y range of the data is widened to multiples of a step of 1, 2 or 5 times a power of
 * ten chosen so that there are about five ticks; bars always start at 0. Linear in the number of
 * points.
 *
 * <p>Stateless and thread-safe.
 */
final class ChartPainter {
  static final int WIDTH = 720;
  static final int HEIGHT = 320;
  static final String[] PALETTE = {"#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7b83", "#57606a"};
  static final String INK = "#24292f";
  static final String GRID = "#d0d7de";
  static final String MUTED = "#57606a";

  private static final double LEFT = 72;
  private static final double RIGHT = 20;
  private static final double TOP = 40;
  private static final double BOTTOM = 78;

  /** Where a text's x coordinate is. */
  enum Anchor {
    START,
    MIDDLE,
    END
  }

  /** What a chart is drawn on; coordinates in pixels from the top left corner. */
  interface Canvas {
    void line(double x1, double y1, double x2, double y2, String color, double width);

    void polyline(List<double[]> points, String color, double width);

    /** A data point; {@code series} and {@code tooltip} label it where the canvas can. */
    void dot(double x, double y, double radius, String color, String series, String tooltip);

    /** A bar (or a legend swatch when {@code series} is null). */
    void rect(double x, double y, double width, double height, String color, String series, String tooltip);

    void text(double x, double y, String text, Anchor anchor, double size, boolean bold, boolean vertical, String color);
  }

  private ChartPainter() {}

  static void paint(Chart chart, Canvas canvas) {
    canvas.text(LEFT, 24, chart.title(), Anchor.START, 15, true, false, INK);
    double plotW = WIDTH - LEFT - RIGHT;
    double plotH = HEIGHT - TOP - BOTTOM;
    if (chart.isEmpty()) {
      canvas.rect(LEFT, TOP, plotW, plotH, "#f6f8fa", null, null);
      canvas.text(LEFT + plotW / 2, TOP + plotH / 2, chart.note().isEmpty() ? "nothing to show yet" : chart.note(), Anchor.MIDDLE, 13, false, false, MUTED);
      return;
    }
    List<Double> ys = new ArrayList<>();
    chart.series().forEach(s -> s.points().forEach(p -> ys.add(p.y())));
    double min = ys.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    double max = ys.stream().mapToDouble(Double::doubleValue).max().orElse(1);
    if (chart.kind() == Chart.Kind.BARS) min = Math.min(0, min);
    if (min == max) {
      double pad = min == 0 ? 1 : Math.abs(min) * 0.1;
      max += pad;
      if (chart.kind() == Chart.Kind.LINE) min -= pad;
    }
    double step = niceStep((max - min) / 5);
    if (chart.kind() == Chart.Kind.BARS) step = Math.max(1, step); // bars count things
    double y0 = Math.floor(min / step) * step;
    double y1 = Math.ceil(max / step) * step;
    var scaleY = new Scale(y0, y1, TOP + plotH, TOP);

    // y grid and ticks
    for (double t = y0; t <= y1 + step / 2; t += step) {
      double py = scaleY.at(t);
      canvas.line(LEFT, py, LEFT + plotW, py, GRID, 1);
      canvas.text(LEFT - 6, py + 4, number(t, step), Anchor.END, 11, false, false, MUTED);
    }
    canvas.line(LEFT, TOP, LEFT, TOP + plotH, INK, 1);
    canvas.line(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH, INK, 1);
    canvas.text(16, TOP + plotH / 2, chart.yLabel(), Anchor.MIDDLE, 12, false, true, INK);
    canvas.text(LEFT + plotW / 2, TOP + plotH + 36, chart.xLabel(), Anchor.MIDDLE, 12, false, false, INK);

    if (chart.kind() == Chart.Kind.LINE) lines(chart, canvas, scaleY, plotW, plotH);
    else bars(chart, canvas, scaleY, plotW, plotH);

    // legend
    double lx = LEFT;
    double ly = HEIGHT - 16;
    for (int i = 0; i < chart.series().size(); i++) {
      String label = chart.series().get(i).label();
      canvas.rect(lx, ly - 9, 10, 10, color(i), null, null);
      canvas.text(lx + 14, ly, label, Anchor.START, 12, false, false, INK);
      lx += 14 + 7.2 * label.length() + 20;
    }
  }

  private static void lines(Chart chart, Canvas canvas, Scale scaleY, double plotW, double plotH) {
    double xmin = Double.MAX_VALUE;
    double xmax = -Double.MAX_VALUE;
    for (Chart.Series s : chart.series()) {
      for (Chart.Point p : s.points()) {
        xmin = Math.min(xmin, p.x());
        xmax = Math.max(xmax, p.x());
      }
    }
    if (xmin == xmax) {
      xmin -= 1;
      xmax += 1;
    }
    var scaleX = new Scale(xmin, xmax, LEFT + 12, LEFT + plotW - 12);
    double xstep = Math.max(1, niceStep((xmax - xmin) / 10));
    for (double t = Math.ceil(xmin / xstep) * xstep; t <= xmax; t += xstep) {
      double px = scaleX.at(t);
      canvas.line(px, TOP + plotH, px, TOP + plotH + 4, INK, 1);
      canvas.text(px, TOP + plotH + 17, number(t, xstep), Anchor.MIDDLE, 11, false, false, MUTED);
    }
    for (int i = 0; i < chart.series().size(); i++) {
      Chart.Series s = chart.series().get(i);
      var points = new ArrayList<double[]>();
      for (Chart.Point p : s.points()) points.add(new double[] {scaleX.at(p.x()), scaleY.at(p.y())});
      if (points.size() > 1) canvas.polyline(points, color(i), 2);
      for (Chart.Point p : s.points()) {
        canvas.dot(scaleX.at(p.x()), scaleY.at(p.y()), 3, color(i), s.label(), s.label() + " at " + number(p.x(), 1) + ": " + number(p.y(), 0));
      }
    }
  }

  private static void bars(Chart chart, Canvas canvas, Scale scaleY, double plotW, double plotH) {
    int n = Math.max(1, chart.categories().size());
    double group = plotW / n;
    int k = Math.max(1, chart.series().size());
    double bar = group * 0.7 / k;
    for (int c = 0; c < chart.categories().size(); c++) {
      String label = chart.categories().get(c);
      if (label.length() > 18) label = label.substring(0, 8) + "…" + label.substring(label.length() - 8);
      canvas.text(LEFT + group * (c + 0.5), TOP + plotH + 17, label, Anchor.MIDDLE, 11, false, false, MUTED);
    }
    for (int i = 0; i < chart.series().size(); i++) {
      Chart.Series s = chart.series().get(i);
      for (Chart.Point p : s.points()) {
        double x = LEFT + group * p.x() + group * 0.15 + bar * i;
        double top = scaleY.at(Math.max(0, p.y()));
        double bottom = scaleY.at(Math.min(0, p.y()));
        String category = (int) p.x() < chart.categories().size() ? chart.categories().get((int) p.x()) : "";
        canvas.rect(x, top, Math.max(1, bar - 2), Math.max(1, bottom - top), color(i), s.label(), s.label() + " of " + category + ": " + number(p.y(), 0));
      }
    }
  }

  static String color(int i) {
    return PALETTE[i % PALETTE.length];
  }

  /** 1, 2 or 5 times a power of ten, at least {@code rough}. */
  static double niceStep(double rough) {
    if (!(rough > 0) || !Double.isFinite(rough)) return 1;
    double power = Math.pow(10, Math.floor(Math.log10(rough)));
    double f = rough / power;
    double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nice * power;
  }

  /**
   * A number for a label: with the decimals a tick step needs, or (step 0) with up to four
   * significant digits, without trailing zeros.
   */
  static String number(double value, double step) {
    if (!Double.isFinite(value)) return String.valueOf(value);
    if (Math.abs(value) < 1e-12) return "0";
    if (step > 0) {
      int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
      return BigDecimal.valueOf(value).setScale(Math.min(decimals, 10), java.math.RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
    }
    if (Math.abs(value) >= 1e6) return String.format(Locale.ROOT, "%.3e", value);
    return new BigDecimal(value).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
  }

  /** Maps a data range onto a pixel range. */
  private record Scale(double from, double to, double pixelFrom, double pixelTo) {
    double at(double v) {
      return pixelFrom + (v - from) / (to - from) * (pixelTo - pixelFrom);
    }
  }
}
