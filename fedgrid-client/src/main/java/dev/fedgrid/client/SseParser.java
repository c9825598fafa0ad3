package dev.fedgrid.client;

import java.util.function.Consumer;

/**
 * Reads a {@code text/event-stream} line by line (the W3C EventSource format): {@code id:}, {@code
 * event:}, {@code data:} fields, {@code :} comments, and a blank line that dispatches the event.
 * Multiple data lines join with newlines.
 *
 * <p>Not thread-safe: one parser per stream.
 */
final class SseParser {
  /** One dispatched event; {@code id} is the last id seen on the stream, possibly from earlier. */
  record Event(String id, String type, String data) {}

  private final Consumer<Event> sink;
  private String lastId;
  private String type;
  private StringBuilder data;

  SseParser(Consumer<Event> sink) {
    this.sink = sink;
  }

  void line(String line) {
    if (line.isEmpty()) {
      if (data != null) sink.accept(new Event(lastId, type == null ? "message" : type, data.toString()));
      type = null;
      data = null;
      return;
    }
    if (line.startsWith(":")) return; // comment: a heartbeat
    int colon = line.indexOf(':');
    String field = colon < 0 ? line : line.substring(0, colon);
    String value = colon < 0 ? "" : line.substring(colon + 1);
    if (value.startsWith(" ")) value = value.substring(1);
    switch (field) {
      case "id" -> {
        if (value.indexOf('\0') < 0) lastId = value;
      }
      case "event" -> type = value;
      case "data" -> {
        if (data == null) data = new StringBuilder(value);
        else data.append('\n').append(value);
      }
      default -> {} // retry and unknown fields
    }
  }

  String lastId() {
    return lastId;
  }
}
