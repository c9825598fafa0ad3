package dev.fedgrid.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A tiny stand-in for the control API on loopback: tests register an answer per method and path,
 * and read back the requests the client made. Thread-safe.
 */
final class FakeApi implements AutoCloseable {
  /** One answer to an exchange. */
  interface Answer {
    void answer(HttpExchange exchange) throws IOException;
  }

  /** What the client sent. */
  record Seen(String method, String path, String query, Map<String, List<String>> headers, String body) {}

  private final HttpServer server;
  private final Map<String, Answer> answers = new ConcurrentHashMap<>();
  final List<Seen> seen = new CopyOnWriteArrayList<>();

  FakeApi() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/", this::handle);
    server.start();
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  FakeApi on(String method, String path, Answer answer) {
    answers.put(method + " " + path, answer);
    return this;
  }

  FakeApi json(String method, String path, int status, String body) {
    return on(method, path, ex -> send(ex, status, "application/json", body));
  }

  static void send(HttpExchange ex, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    send(ex, status, type, bytes);
  }

  static void send(HttpExchange ex, int status, String type, byte[] bytes) throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try {
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      var headers = new TreeMap<String, List<String>>(String.CASE_INSENSITIVE_ORDER);
      headers.putAll(ex.getRequestHeaders());
      seen.add(new Seen(ex.getRequestMethod(), ex.getRequestURI().getPath(), ex.getRequestURI().getRawQuery(), headers, body));
      Answer answer = answers.get(ex.getRequestMethod() + " " + ex.getRequestURI().getPath());
      if (answer == null) {
        send(ex, 404, "application/json", "{\"code\":\"ROUTE_NOT_FOUND\",\"message\":\"no route\",\"details\":{}}");
      } else {
        answer.answer(ex);
      }
    } catch (IOException | UncheckedIOException e) {
      ex.close();
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
