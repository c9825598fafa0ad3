package dev.fedgrid.gateway.reports;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A {@link Chart} as an inline SVG element for the HTML report: no script, no external reference,
 * every label escaped. Points and bars carry {@code class="point"} and {@code data-series}, and each
 * a {@code <title>} tooltip.
 *
 * <p>Stateless and thread-safe.
 */
final class SvgChart implements ChartPainter.Canvas {
  private final StringBuilder svg = new StringBuilder(8192);

  private SvgChart() {}

  static String render(Chart chart) {
    var canvas = new SvgChart();
    canvas.svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" data-chart=\"").append(Html.escape(chart.name()))
        .append("\" viewBox=\"0 0 ").append(ChartPainter.WIDTH).append(' ').append(ChartPainter.HEIGHT)
        .append("\" width=\"").append(ChartPainter.WIDTH).append("\" height=\"").append(ChartPainter.HEIGHT)
        .append("\" role=\"img\" aria-label=\"").append(Html.escape(chart.title())).append("\">");
    canvas.svg.append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>");
    ChartPainter.paint(chart, canvas);
    return canvas.svg.append("</svg>").toString();
  }

  @Override
  public void line(double x1, double y1, double x2, double y2, String color, double width) {
    svg.append("<line x1=\"").append(n(x1)).append("\" y1=\"").append(n(y1)).append("\" x2=\"").append(n(x2)).append("\" y2=\"").append(n(y2))
        .append("\" stroke=\"").append(color).append("\" stroke-width=\"").append(n(width)).append("\"/>");
  }

  @Override
  public void polyline(List<double[]> points, String color, double width) {
    String path = points.stream().map(p -> n(p[0]) + "," + n(p[1])).collect(Collectors.joining(" "));
    svg.append("<polyline fill=\"none\" points=\"").append(path).append("\" stroke=\"").append(color).append("\" stroke-width=\"").append(n(width)).append("\"/>");
  }

  @Override
  public void dot(double x, double y, double radius, String color, String series, String tooltip) {
    svg.append("<circle class=\"point\" data-series=\"").append(Html.escape(series)).append("\" cx=\"").append(n(x)).append("\" cy=\"").append(n(y))
        .append("\" r=\"").append(n(radius)).append("\" fill=\"").append(color).append("\"><title>").append(Html.escape(tooltip)).append("</title></circle>");
  }

  @Override
  public void rect(double x, double y, double width, double height, String color, String series, String tooltip) {
    svg.append("<rect");
    if (series != null) svg.append(" class=\"point\" data-series=\"").append(Html.escape(series)).append('"');
    svg.append(" x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" width=\"").append(n(width)).append("\" height=\"").append(n(height))
        .append("\" fill=\"").append(color).append('"');
    if (tooltip == null) svg.append("/>");
    else svg.append("><title>").append(Html.escape(tooltip)).append("</title></rect>");
  }

  @Override
  public void text(double x, double y, String text, ChartPainter.Anchor anchor, double size, boolean bold, boolean vertical, String color) {
    svg.append("<text x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" font-family=\"sans-serif\" font-size=\"").append(n(size))
        .append("\" fill=\"").append(color).append("\" text-anchor=\"").append(anchor.name().toLowerCase(Locale.ROOT)).append('"');
    if (bold) svg.append(" font-weight=\"bold\"");
    if (vertical) svg.append(" transform=\"rotate(-90 ").append(n(x)).append(' ').append(n(y)).append(")\"");
    svg.append('>').append(Html.escape(text)).append("</text>");
  }

  private static String n(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }
}
