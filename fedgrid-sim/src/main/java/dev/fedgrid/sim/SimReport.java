package dev.fedgrid.sim;

import dev.fedgrid.api.job.NodeFailure;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Writes a simulation's results: {@code rounds.csv} (one line per round), {@code results.json}
 * (the settings and every round, contributions and failures included) and {@code plot.svg}
 * (evaluation accuracy and loss per round). A {@link Writer} writes each round's rows as the round
 * ends and keeps only a few figures per round for the plot, so a long run's per-client detail is
 * not held in memory.
 */
public final class SimReport {
  private static final String CSV_HEADER =
      "round,outcome,sampled,byzantine,updates,examples,failures,dropouts,late,eval_loss,eval_accuracy,fit_loss,epsilon,virtual_s,wall_ms,heap_mb\n";

  private SimReport() {}

  /**
   * Writes the files at once from rounds held in memory; see {@link #open} to write them as a
   * simulation runs.
   *
   * @param settings what was run, shown at the top of the JSON (seed, population, faults, ...)
   * @return the files written
   */
  public static List<Path> write(Path dir, Map<String, String> settings, List<SimRound> rounds) throws IOException {
    try (var writer = open(dir, settings)) {
      for (SimRound r : rounds) writer.add(r);
      return writer.finish();
    }
  }

  /**
   * Starts the files in {@code dir}: rounds then go in with {@link Writer#add} as they end
   * (e.g. from {@link Simulation#run}'s progress callback), and {@link Writer#finish} completes
   * {@code results.json} and writes {@code plot.svg}. Until then the JSON is incomplete.
   *
   * @param settings what was run, shown at the top of the JSON (seed, population, faults, ...)
   */
  public static Writer open(Path dir, Map<String, String> settings) throws IOException {
    return new Writer(dir, settings);
  }

  /** The results files of one run, written a round at a time. Not thread-safe. */
  public static final class Writer implements AutoCloseable {
    private final Path csv;
    private final Path json;
    private final Path svg;
    private final BufferedWriter csvOut;
    private final BufferedWriter jsonOut;
    /** Per round: round number, evaluation accuracy and loss (NaN when absent): all the plot needs. */
    private double[] points = new double[3 * 16];
    private int rounds;
    private boolean finished;

    private Writer(Path dir, Map<String, String> settings) throws IOException {
      Files.createDirectories(dir);
      csv = dir.resolve("rounds.csv");
      json = dir.resolve("results.json");
      svg = dir.resolve("plot.svg");
      csvOut = Files.newBufferedWriter(csv);
      BufferedWriter j;
      try {
        j = Files.newBufferedWriter(json);
      } catch (IOException e) {
        csvOut.close();
        throw e;
      }
      jsonOut = j;
      csvOut.write(CSV_HEADER);
      jsonOut.write(jsonHeader(settings));
    }

    /** Appends one round to {@code rounds.csv} and {@code results.json}. */
    public void add(SimRound r) throws IOException {
      if (finished) throw new IllegalStateException("the report is finished");
      csvOut.write(csvRow(r));
      jsonOut.write(rounds == 0 ? "\n" : ",\n");
      jsonOut.write(jsonRow(r));
      if (3 * rounds + 3 > points.length) points = Arrays.copyOf(points, points.length * 2);
      points[3 * rounds] = r.round();
      points[3 * rounds + 1] = r.evalMetrics().getOrDefault("accuracy", Double.NaN);
      points[3 * rounds + 2] = r.evalMetrics().getOrDefault("loss", Double.NaN);
      rounds++;
    }

    /** The rounds added so far. */
    public int rounds() {
      return rounds;
    }

    /** Completes {@code results.json}, writes {@code plot.svg} and closes the files; returns them. */
    public List<Path> finish() throws IOException {
      if (!finished) {
        finished = true;
        try (csvOut; jsonOut) {
          jsonOut.write(JSON_TRAILER);
        }
        Files.writeString(svg, svg(Arrays.copyOf(points, 3 * rounds)));
      }
      return List.of(csv, json, svg);
    }

    /** Closes the files; without {@link #finish} first, {@code results.json} stays incomplete and there is no plot. */
    @Override
    public void close() throws IOException {
      if (finished) return;
      finished = true;
      try (csvOut; jsonOut) {
        // closed by try-with-resources
      }
    }
  }

  static String csv(List<SimRound> rounds) {
    var out = new StringBuilder(CSV_HEADER);
    for (SimRound r : rounds) out.append(csvRow(r));
    return out.toString();
  }

  private static String csvRow(SimRound r) {
    var out = new StringBuilder();
    out.append(r.round()).append(',').append(r.outcome()).append(',').append(r.sampled()).append(',').append(r.byzantine()).append(',')
        .append(r.updates()).append(',').append(r.examples()).append(',').append(r.failures().size()).append(',')
        .append(SimRound.failures(r, "went offline")).append(',').append(SimRound.failures(r, "deadline")).append(',')
        .append(num(r.evalMetrics().get("loss"))).append(',').append(num(r.evalMetrics().get("accuracy"))).append(',')
        .append(num(r.fitMetrics().get("loss"))).append(',').append(num(r.epsilon())).append(',').append(r.virtualSeconds()).append(',')
        .append(r.wallMillis()).append(',').append(r.heapBytes() / (1024 * 1024)).append('\n');
    return out.toString();
  }

  private static final String JSON_TRAILER = "\n  ]\n}\n";

  private static String jsonHeader(Map<String, String> settings) {
    var out = new StringBuilder("{\n  \"settings\": {");
    out.append(settings.entrySet().stream().map(e -> "\n    " + str(e.getKey()) + ": " + str(e.getValue())).collect(Collectors.joining(",")));
    return out.append("\n  },\n  \"rounds\": [").toString();
  }

  static String json(Map<String, String> settings, List<SimRound> rounds) {
    var out = new StringBuilder(jsonHeader(settings));
    for (int i = 0; i < rounds.size(); i++) out.append(i == 0 ? "\n" : ",\n").append(jsonRow(rounds.get(i)));
    return out.append(JSON_TRAILER).toString();
  }

  private static String jsonRow(SimRound r) {
    var out = new StringBuilder();
    out.append("    {\"round\": ").append(r.round()).append(", \"outcome\": ").append(str(r.outcome()))
        .append(", \"sampled\": ").append(r.sampled()).append(", \"byzantine\": ").append(r.byzantine()).append(", \"updates\": ").append(r.updates())
        .append(", \"examples\": ").append(r.examples()).append(", \"epsilon\": ").append(num(r.epsilon()).isEmpty() ? "null" : num(r.epsilon()))
        .append(", \"virtualSeconds\": ").append(r.virtualSeconds()).append(", \"wallMillis\": ").append(r.wallMillis())
        .append(", \"heapBytes\": ").append(r.heapBytes())
        .append(", \"fitMetrics\": ").append(metrics(r.fitMetrics())).append(", \"evalMetrics\": ").append(metrics(r.evalMetrics()))
        .append(", \"contributions\": {").append(r.contributions().entrySet().stream().limit(100_000)
            .map(e -> str(e.getKey().value()) + ": " + e.getValue()).collect(Collectors.joining(", "))).append('}')
        .append(", \"failures\": [");
    out.append(r.failures().stream().map(SimReport::failure).collect(Collectors.joining(", "))).append("]}");
    return out.toString();
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
    double[] points = new double[3 * rounds.size()];
    for (int i = 0; i < rounds.size(); i++) {
      SimRound r = rounds.get(i);
      points[3 * i] = r.round();
      points[3 * i + 1] = r.evalMetrics().getOrDefault("accuracy", Double.NaN);
      points[3 * i + 2] = r.evalMetrics().getOrDefault("loss", Double.NaN);
    }
    return svg(points);
  }

  /** @param points per round: round number, accuracy, loss (NaN when absent) */
  private static String svg(double[] points) {
    int w = 640, h = 360, left = 50, right = 50, top = 30, bottom = 40;
    int rounds = points.length / 3;
    double maxLoss = 0;
    boolean anyLoss = false;
    for (int i = 0; i < rounds; i++) {
      double l = points[3 * i + 2];
      double v = Double.isNaN(l) ? 0.0 : l; // a round without a loss counted as 0, as before
      if (Double.isFinite(v)) {
        maxLoss = anyLoss ? Math.max(maxLoss, v) : v;
        anyLoss = true;
      }
    }
    if (!anyLoss) maxLoss = 1;
    if (!(maxLoss > 0)) maxLoss = 1;
    int n = Math.max(1, rounds);
    double fLoss = maxLoss;
    var out = new StringBuilder();
    out.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(w).append("\" height=\"").append(h).append("\" font-family=\"sans-serif\" font-size=\"12\">\n");
    out.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\">evaluation per round (accuracy: blue, left axis; loss: red, right axis, max %.4g)</text>%n", left, fLoss));
    out.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", left, h - bottom, w - right, h - bottom));
    out.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n", left, top, left, h - bottom));
    out.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">round</text><text x=\"5\" y=\"%d\">1.0</text><text x=\"5\" y=\"%d\">0.0</text>%n",
        w / 2, h - 8, top + 4, h - bottom));
    line(out, points, 1, 1, "#1f77b4", n, w, h, left, right, top, bottom);
    line(out, points, 2, fLoss, "#d62728", n, w, h, left, right, top, bottom);
    return out.append("</svg>\n").toString();
  }

  private static void line(StringBuilder out, double[] points, int column, double max, String colour, int n, int w, int h,
      int left, int right, int top, int bottom) {
    var line = new StringBuilder();
    for (int i = 0; i < points.length / 3; i++) {
      double v = points[3 * i + column];
      if (!Double.isFinite(v)) continue;
      double px = left + (n == 1 ? 0.5 : (points[3 * i] - 1) / (double) (n - 1)) * (w - left - right);
      double py = (h - bottom) - Math.max(0, Math.min(1, v / max)) * (h - top - bottom);
      line.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
      out.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>%n", px, py, colour));
    }
    out.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"2\" points=\"").append(line.toString().strip()).append("\"/>\n");
  }
}
