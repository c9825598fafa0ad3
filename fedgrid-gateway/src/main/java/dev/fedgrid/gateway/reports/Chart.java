package dev.fedgrid.gateway.reports;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * One chart of a job report, free of how it is drawn: {@link ChartPainter} draws it on an SVG or a
 * PNG canvas, so the report's inline SVG and its PNG files always show the same thing.
 *
 * <p>A {@link Kind#LINE} chart plots each series' points over a numeric x axis (rounds); a {@link
 * Kind#BARS} chart draws, for each category (a node), one bar per series, the point's x being the
 * category's index. A chart with no points draws its {@code note} instead of axes.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the chart's name in URLs ({@code metrics}, {@code epsilon}, {@code contribution})
 * @param title the heading drawn above the plot
 * @param xLabel what the x axis counts
 * @param yLabel what the y axis measures
 * @param kind lines or bars
 * @param categories the bar chart's category labels, in x order; empty for a line chart
 * @param series the data, in legend order
 * @param note shown when there is nothing to plot (such as "no differential privacy"), else empty
 */
public record Chart(String name, String title, String xLabel, String yLabel, Kind kind, List<String> categories, List<Series> series, String note) {
  /** The charts every report has, by name. */
  public static final List<String> NAMES = List.of("metrics", "epsilon", "contribution");

  /** How the series are drawn. */
  public enum Kind {
    LINE,
    BARS
  }

  /** One labelled series of points. */
  public record Series(String label, List<Point> points) {
    public Series {
      Objects.requireNonNull(label, "label");
      points = List.copyOf(points);
    }
  }

  /** One data point. */
  public record Point(double x, double y) {}

  public Chart {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(kind, "kind");
    categories = List.copyOf(categories);
    series = List.copyOf(series);
    note = note == null ? "" : note;
  }

  /** Whether the chart has at least one point to draw. */
  public boolean isEmpty() {
    return series.stream().allMatch(s -> s.points().isEmpty());
  }

  /** The name, as the chart's file name: {@code metrics.png}. */
  public String fileName(String extension) {
    return name + "." + extension;
  }

  /** A known chart name from a requested file name such as {@code metrics.png}, or empty. */
  static Optional<String> nameOf(String fileName, String extension) {
    String lower = fileName.toLowerCase(Locale.ROOT);
    String suffix = "." + extension;
    if (!lower.endsWith(suffix)) return Optional.empty();
    String name = lower.substring(0, lower.length() - suffix.length());
    return NAMES.contains(name) ? Optional.of(name) : Optional.empty();
  }
}
