package dev.fedgrid.cli;

import java.io.PrintStream;
import java.util.regex.Pattern;
import me.tongfei.progressbar.ProgressBarConsumer;

/**
 * Where {@code job watch} draws its progress bar. On a terminal the bar is redrawn in place; when
 * stderr goes to a file or a CI log, a line is written only when something other than the clock
 * changed, so logs stay readable. Nothing is drawn after {@link #close()}, even by the bar's own
 * refresh thread.
 *
 * <p>Thread-safe: the bar's refresh thread and the watching thread both call it.
 */
final class BarConsumer implements ProgressBarConsumer {
  private static final Pattern CLOCK = Pattern.compile("\\(\\d+:\\d\\d:\\d\\d / [^)]*\\)");

  private final PrintStream err;
  private final boolean interactive;
  private final int width;
  private boolean closed;
  private String lastLine = "";

  BarConsumer(PrintStream err, boolean interactive, int width) {
    this.err = err;
    this.interactive = interactive;
    this.width = width;
  }

  /** Whether this process writes to a terminal. */
  static boolean terminal() {
    var console = System.console();
    return console != null && console.isTerminal();
  }

  @Override
  public int getMaxRenderedLength() {
    return width;
  }

  @Override
  public synchronized void accept(String rendered) {
    if (closed) return;
    if (interactive) {
      err.print('\r');
      err.print(rendered);
      err.flush();
      return;
    }
    String line = CLOCK.matcher(rendered).replaceAll("").stripTrailing();
    if (!line.equals(lastLine)) {
      lastLine = line;
      err.println(line);
    }
  }

  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    if (interactive) err.println();
    err.flush();
  }
}
