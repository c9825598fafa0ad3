package dev.fedgrid.market;

import dev.fedgrid.api.InvalidRequestException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The only lines an activity's log can hold: fixed messages with numeric placeholders ({@code
 * {}}). A node reports a line as the template's {@link #ordinal() number} and its numbers, never as
 * text, and the gateway renders it with {@link #render}; so no string from a dataset (a value, a
 * column name, a file path) can reach the log, whatever the node's code does. Numbers cannot
 * smuggle rows either in practice: every template's numbers are counts, sizes, times or aggregate
 * metrics computed over a whole split. New templates are appended (the number is the wire format).
 */
public enum ActivityLogTemplate {
  DEPLOYED("deployed a model of {} parameters for {} features"),
  PARAMETERS_LOADED("loaded {} parameters ({} bytes)"),
  STARTED("started: {} training and {} test examples available"),
  FIT_DONE("fit {} examples for {} epoch(s) in {} ms"),
  EVALUATED("evaluated {} examples in {} ms"),
  METRIC_LOSS("loss {}"),
  METRIC_ACCURACY("accuracy {}"),
  PARAMETERS_SENT("sent {} parameters ({} bytes) to the gateway"),
  TERMINATED("terminated"),
  FAILED("command failed after {} ms");

  private final String text;
  private final int arity;

  ActivityLogTemplate(String text) {
    this.text = text;
    this.arity = text.split("\\{}", -1).length - 1;
  }

  /** How many numbers the template takes. */
  public int arity() {
    return arity;
  }

  /** The template's text, with {@code {}} for each number. */
  public String text() {
    return text;
  }

  /**
   * The template numbered {@code number}.
   *
   * @throws InvalidRequestException {@code INVALID_LOG_LINE} when there is none
   */
  public static ActivityLogTemplate of(int number) {
    ActivityLogTemplate[] all = values();
    if (number < 0 || number >= all.length) {
      throw new InvalidRequestException("INVALID_LOG_LINE", "log template " + number + " does not exist; the node may be newer than the gateway", Map.of());
    }
    return all[number];
  }

  /**
   * The line with {@code args} in place of the placeholders: integers without a fraction, other
   * numbers with at most 6 significant digits.
   *
   * @throws InvalidRequestException {@code INVALID_LOG_LINE} when the count is wrong or a number is
   *     NaN or infinite
   */
  public String render(List<Double> args) {
    if (args.size() != arity) {
      throw new InvalidRequestException("INVALID_LOG_LINE", "log template " + name() + " takes " + arity + " number(s), got " + args.size(), Map.of());
    }
    var out = new StringBuilder();
    String[] parts = text.split("\\{}", -1);
    for (int i = 0; i < parts.length; i++) {
      out.append(parts[i]);
      if (i < args.size()) out.append(number(args.get(i)));
    }
    return out.toString();
  }

  private static String number(Double d) {
    if (d == null || !Double.isFinite(d)) throw new InvalidRequestException("INVALID_LOG_LINE", "a log line's number is NaN or infinite", Map.of());
    if (d == Math.rint(d) && Math.abs(d) < 1e15) return Long.toString(d.longValue());
    return String.format(Locale.ROOT, "%.6g", d).replaceAll("\\.?0+(e|$)", "$1");
  }
}
