package dev.fedgrid.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain-text table with aligned columns: headers in capitals, two spaces between columns,
 * numbers right-aligned. Not thread-safe.
 */
final class Table {
  private final List<String> headers;
  private final List<List<String>> rows = new ArrayList<>();
  private boolean header = true;

  Table(String... headers) {
    this.headers = List.of(headers);
  }

  Table row(Object... cells) {
    var row = new ArrayList<String>();
    for (Object c : cells) row.add(c == null ? "-" : c.toString());
    while (row.size() < headers.size()) row.add("");
    rows.add(row);
    return this;
  }

  /** Leaves the header row out: for key-value listings. */
  Table withoutHeader() {
    header = false;
    return this;
  }

  boolean isEmpty() {
    return rows.isEmpty();
  }

  void print(PrintStream out) {
    int n = headers.size();
    int[] width = new int[n];
    boolean[] numeric = new boolean[n];
    for (int i = 0; i < n; i++) {
      width[i] = header ? headers.get(i).length() : 0;
      numeric[i] = !rows.isEmpty();
      for (List<String> row : rows) {
        width[i] = Math.max(width[i], row.get(i).length());
        if (!row.get(i).isEmpty() && !row.get(i).equals("-") && !row.get(i).matches("[-+]?[0-9][0-9.,e+-]*%?(/[0-9]+)?")) numeric[i] = false;
      }
    }
    if (header) line(out, headers, width, new boolean[n]);
    for (List<String> row : rows) line(out, row, width, numeric);
  }

  private static void line(PrintStream out, List<String> cells, int[] width, boolean[] right) {
    var sb = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      String c = cells.get(i);
      boolean last = i == cells.size() - 1;
      String pad = " ".repeat(width[i] - c.length());
      if (right[i]) sb.append(pad).append(c);
      else sb.append(c).append(last ? "" : pad);
      if (!last) sb.append("  ");
    }
    out.println(sb.toString().stripTrailing());
  }
}
