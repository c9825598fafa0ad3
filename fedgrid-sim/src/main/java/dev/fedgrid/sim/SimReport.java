package dev.fedgrid.sim;

import dev.fedgrid.api.job.NodeFailure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * Writes a simulation's results: {@code rounds.csv} (one line per round), {@code results.json}
 * (the settings and every round, failures included) and {@code plot.svg} (evaluation accuracy and
 * loss per round). Stateless.
 */
public final class SimReport {
  private SimReport() {}

  /**
   * @param settings what was run, shown at the top of the JSON (seed, population, faults, ...)
   * @return the files written
   */
  public static List<Path> write(Path dir, Map<String, String> settings, List<SimRound> rounds) throws IOException {
    Files.createDirectories(dir);
    Path csv = dir.resolve("rounds.csv");
    Path json = dir.resolve("results.json");
    Path svg = dir.resolve("plot.svg");
    Files.writeString(csv, csv(rounds));
    Files.writeString(json, json(settings, rounds));
    Files.writeString(svg, svg(rounds));
    return List.of(csv, json, svg);
  }

  static String csv(List<SimRound> rounds) {
    var out = new StringBuilder("round,outcome,sampled,byzantine,updates,examples,failures,dropouts,late,eval_loss,eval_accuracy,fit_loss,epsilon,virtual_s,wall_ms,heap_mb\n");
    for (SimRound r : rounds) {
      out.append(r.round()).append(',').append(r.outcome()).append(',').append(r.sampled()).append(',').append(r.byzantine()).append(',')
          .append(r.updates()).append(',').append(r.examples()).append(',').append(r.failures().size()).append(',')
          .append(count(r, "went offline")).append(',').append(count(r, "deadline")).append(',')
          .append(num(r.evalMetrics().get("loss"))).append(',').append(num(r.evalMetrics().get("accuracy"))).append(',')
          .append(num(r.fitMetrics().get("loss"))).append(',').append(num(r.epsilon())).append(',').append(r.virtualSeconds()).append(',')
          .append(r.wallMillis()).append(',').append(r.heapBytes() / (1024 * 1024)).append('\n');
    }
    return out.toString();
  }

  private static long count(SimRound r, String reason) {
    return r.failures().stream().filter(f -> f.reason().contains(reason)).count();
  }

  static String json(Map<String, String> settings, List<SimRound> rounds) {
    var out = new StringBuilder("{\n  \"settings\": {");
    out.append(settings.entrySet().stream().map(e -> "\n    " + str(e.getKey()) + ": " + str(e.getValue())).collect(Collectors.joining(",")));
    out.append("\n  },\n  \"rounds\": [");
    for (int i = 0; i < rounds.size(); i++) {
      SimRound r = rounds.get(i);
      out.append(i == 0 ? "\n" : ",\n").append("    {\"round\": ").append(r.round()).append(", \"outcome\": ").append(str(r.outcome()))
          .append(", \"sampled\": ").append(r.sampled()).append(", \"byzantine\": ").append(r.byzantine()).append(", \"updates\": ").append(r.updates())
          .append(", \"examples\": ").append(r.examples()).append(", \"epsilon\": ").append(num(r.epsilon()).isEmpty() ? "null" : num(r.epsilon()))
          .append(", \"virtualSeconds\": ").append(r.virtualSeconds()).append(", \"wallMillis\": ").append(r.wallMillis())
          .append(", \"heapBytes\": ").append(r.heapBytes())
          .append(", \"fitMetrics\": ").append(metrics(r.fitMetrics())).append(", \"evalMetrics\": ").append(metrics(r.evalMetrics()))
          .append(", \"contributions\": {").append(r.contributions().entrySet().stream().limit(100_000)
              .map(e -> str(e.getKey().value()) + ": " + e.getValue()).collect(Collectors.joining(", "))).append('}')
          .append(", \"failures\": [");
      out.append(r.failures().stream().map(SimReport::failure).collect(Collectors.joining(", "))).append("]}");
    }
    return out.append("\n  ]\n}\n").toString();
  }

  private static String failure(NodeFailure f) {
    return "{\"node\": " + str(f.node().value()) + ", \"phase\": " + str(f.phase()) + ", \"reason\": " + str(f.reason()) + "}";
  }

  private static String metrics(Map<String, Double> m) {
    return m.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(e -> str(e.getKey()) + ": " + (Double.isFinite(e.getValue()) ? num(e.getValue()) : "null"))
        .collect(Collectors.joining(", ", "{", "}"));
  }

  private static String num(Double v) {
    return v == null ? "" : String.format(Locale.ROOT, "%.6g", v);
  }

  private static String str(String s) {
    var out = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        default -> {
          if (c < 0x20) out.append(String.format("\\u%04x", (int) c));
          else out.append(c);
        }
      }
    }
    return out.append('"').toString();
  }

  /** Accuracy (left axis, 0 to 1) and loss (right axis, 0 to its maximum) of the evaluation per round. */
  static String svg(List<SimRound> rounds) {
    int w = 640, h = 360, left = 50, right = 50, top = 30, bottom = 40;
    double maxLoss = rounds.stream().mapToDouble(r -> r.evalMetrics().getOrDefault("loss", 0.0)).filter(Double::isFinite).max().orElse(1);
    if (!(maxLoss > 0)) maxLoss = 1;
    int n = Math.max(1, rounds.size());
    double fLoss = maxLoss;
    var out = new StringBuilder();
    out.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(w).append("\" height=\"").append(h).append("\" font-family=\"sans-serif\" font-size=\"12\">\n");
    out.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\">evaluation per round (accuracy: blue, left axis; loss: red, right axis, max %.4g)</text>%n", left, fLoss));
    out.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", left, h - bottom, w - right, h - bottom));
    out.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", left, top, left, h - bottom));
    out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">round</text><text x=\"5\" y=\"%d\">1.0</text><text x=\"5\" y=\"%d\">0.0</text>%n",
        w / 2, h - 8, top + 4, h - bottom));
    line(out, rounds, r -> r.evalMetrics().getOrDefault("accuracy", Double.NaN), 1, "#1f77b4", n, w, h, left, right, top, bottom);
    line(out, rounds, r -> r.evalMetrics().getOrDefault("loss", Double.NaN), fLoss, "#d62728", n, w, h, left, right, top, bottom);
    return out.append("</svg>\n").toString();
  }

  private static void line(StringBuilder out, List<SimRound> rounds, ToDoubleFunction<SimRound> y, double max, String colour, int n, int w, int h,
      int left, int right, int top, int bottom) {
    var points = new StringBuilder();
    for (SimRound r : rounds) {
      double v = y.applyAsDouble(r);
      if (!Double.isFinite(v)) continue;
      double px = left + (n == 1 ? 0.5 : (r.round() - 1) / (double) (n - 1)) * (w - left - right);
      double py = (h - bottom) - Math.max(0, Math.min(1, v / max)) * (h - top - bottom);
      points.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
      out.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n", px, py, colour));
    }
    out.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"2\" points=\"").append(points.toString().strip()).append("\"/>\n");
  }
}
