package dev.fedgrid.node;

import dev.fedgrid.market.ActivityLogTemplate;
import dev.fedgrid.proto.activity.v1.LogLine;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;

/**
 * The dedicated logger of one activity command: the only way a command's work reaches the
 * activity's remote log. It takes a {@link ActivityLogTemplate} and numbers, nothing else, so no
 * string (a dataset value, a column name, an exception message) can be written to it; the gateway
 * renders the lines and drops anything that does not fit a template. Not thread-safe: one per
 * command.
 */
final class ActivityLog {
  private final InstantSource clock;
  private final List<LogLine> lines = new ArrayList<>();

  ActivityLog(InstantSource clock) {
    this.clock = clock;
  }

  void line(ActivityLogTemplate template, double... args) {
    if (args.length != template.arity()) throw new IllegalArgumentException(template + " takes " + template.arity() + " numbers, got " + args.length);
    var b = LogLine.newBuilder().setTemplate(template.ordinal()).setAtMs(clock.millis());
    for (double a : args) b.addArgs(a);
    lines.add(b.build());
  }

  List<LogLine> lines() {
    return List.copyOf(lines);
  }
}
