package dev.fedgrid.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** How values look in human output. Thread-safe (stateless). */
final class Format {
  private Format() {}

  /** An instant to the second, in UTC: {@code 2026-11-02T10:15:30Z}; "-" when absent. */
  static String instant(Instant t) {
    return t == null ? "-" : t.truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** A metric value with four decimals. */
  static String number(double v) {
    return String.format(Locale.ROOT, "%.4f", v);
  }

  /** Metrics as {@code accuracy 0.9123, loss 0.2310}, sorted by name; "-" when empty. */
  static String metrics(Map<String, Double> metrics) {
    if (metrics == null || metrics.isEmpty()) return "-";
    return new TreeMap<>(metrics).entrySet().stream().map(e -> e.getKey() + " " + number(e.getValue())).collect(Collectors.joining(", "));
  }

  /** A duration as {@code 4.2s}, {@code 3m05s} or {@code 2h10m}. */
  static String duration(Instant from, Instant to) {
    if (from == null || to == null) return "-";
    Duration d = Duration.between(from, to);
    long s = d.toSeconds();
    if (s < 60) return String.format(Locale.ROOT, "%.1fs", d.toMillis() / 1000.0);
    if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
  }

  /** A byte count as {@code 12.3 kB}. */
  static String bytes(long n) {
    if (n < 1000) return n + " B";
    if (n < 1_000_000) return String.format(Locale.ROOT, "%.1f kB", n / 1e3);
    if (n < 1_000_000_000) return String.format(Locale.ROOT, "%.1f MB", n / 1e6);
    return String.format(Locale.ROOT, "%.1f GB", n / 1e9);
  }
}
