package dev.fedgrid.gateway.reports;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A {@link Chart} as a PNG file, drawn with Java 2D on an in-memory image: no display, no window
 * system. AWT is put in headless mode unless the process chose otherwise, so a gateway on a server
 * with a {@code DISPLAY} left set never tries to reach it.
 *
 * <p>Thread-safe: each rendering draws on its own image.
 */
final class PngChart implements ChartPainter.Canvas {
  static {
    if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
  }

  private final Graphics2D g;

  private PngChart(Graphics2D g) {
    this.g = g;
  }

  /** The chart drawn at twice the SVG's size (sharp on high-density screens and in print), as PNG bytes. */
  static byte[] render(Chart chart) {
    int scale = 2;
    var image = new BufferedImage(ChartPainter.WIDTH * scale, ChartPainter.HEIGHT * scale, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.scale(scale, scale);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, ChartPainter.WIDTH, ChartPainter.HEIGHT);
      ChartPainter.paint(chart, new PngChart(g));
    } finally {
      g.dispose();
    }
    var out = new ByteArrayOutputStream(32 * 1024);
    try {
      if (!ImageIO.write(image, "png", out)) throw new IllegalStateException("this JDK has no PNG writer");
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return out.toByteArray();
  }

  @Override
  public void line(double x1, double y1, double x2, double y2, String color, double width) {
    g.setColor(Color.decode(color));
    g.setStroke(new BasicStroke((float) width));
    g.draw(new Line2D.Double(x1, y1, x2, y2));
  }

  @Override
  public void polyline(List<double[]> points, String color, double width) {
    var path = new Path2D.Double();
    path.moveTo(points.getFirst()[0], points.getFirst()[1]);
    for (double[] p : points.subList(1, points.size())) path.lineTo(p[0], p[1]);
    g.setColor(Color.decode(color));
    g.setStroke(new BasicStroke((float) width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
    g.draw(path);
  }

  @Override
  public void dot(double x, double y, double radius, String color, String series, String tooltip) {
    g.setColor(Color.decode(color));
    g.fill(new Ellipse2D.Double(x - radius, y - radius, 2 * radius, 2 * radius));
  }

  @Override
  public void rect(double x, double y, double width, double height, String color, String series, String tooltip) {
    g.setColor(Color.decode(color));
    g.fill(new Rectangle2D.Double(x, y, width, height));
  }

  @Override
  public void text(double x, double y, String text, ChartPainter.Anchor anchor, double size, boolean bold, boolean vertical, String color) {
    g.setColor(Color.decode(color));
    g.setFont(new Font(Font.SANS_SERIF, bold ? Font.BOLD : Font.PLAIN, 1).deriveFont((float) size));
    double width = g.getFontMetrics().getStringBounds(text, g).getWidth();
    double shift = switch (anchor) {
      case START -> 0;
      case MIDDLE -> -width / 2;
      case END -> -width;
    };
    if (!vertical) {
      g.drawString(text, (float) (x + shift), (float) y);
      return;
    }
    AffineTransform before = g.getTransform();
    g.rotate(-Math.PI / 2, x, y);
    g.drawString(text, (float) (x + shift), (float) y);
    g.setTransform(before);
  }
}
