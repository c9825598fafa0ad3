package dev.fedgrid.client;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A relay between the client and a real gateway that breaks the first event stream it carries
 * right after a given event, as a flaky network or a proxy's idle timeout would, and records what
 * the client asked for. Everything else passes through unchanged.
 *
 * <p>The broken stream is made up on purpose: the real gateway never drops its own streams, so
 * reconnection can only be provoked between the two. Thread-safe.
 */
final class FlakyRelay implements AutoCloseable {
  /** How the first event stream breaks. */
  enum Break {
    /** Nothing breaks: a plain relay that records requests. */
    NONE,
    /** The connection dies mid-answer: fewer bytes arrive than the answer announced. */
    DROP,
    /** The answer ends cleanly although the job goes on, as when a proxy closes an idle stream. */
    END
  }

  /** The request headers the relay passes on, and records. */
  private static final List<String> HEADERS = List.of("Accept", "Content-Type", "Last-Event-ID", "Authorization");

  /**
   * One request the relay carried: method, path, raw query (or null) and those of {@link #HEADERS}
   * it had, several values of one joined with ", ".
   */
  record Request(String method, String path, String query, Map<String, String> headers) {}

  private final URI gateway;
  private final Break fault;
  private final long afterSeq;
  private final AtomicBoolean broken = new AtomicBoolean();
  private final HttpClient http;
  private final HttpServer server;
  private final List<Request> requests = new CopyOnWriteArrayList<>();

  /**
   * Relays (in plain HTTP on loopback) to {@code grid}'s gateway over HTTPS, breaking the first
   * event stream as {@code fault} says after event {@code afterSeq}.
   */
  FlakyRelay(TestGrid grid, Break fault, long afterSeq) throws IOException {
    this.gateway = grid.uri();
    this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(GatewayTrust.trusting(grid.caFile())).build();
    this.fault = fault;
    this.afterSeq = afterSeq;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/", this::relay);
    server.start();
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Every request carried so far, in order. */
  List<Request> requests() {
    return List.copyOf(requests);
  }

  /** The event-stream requests carried so far, in order. */
  List<Request> streams() {
    return requests.stream().filter(r -> r.path().endsWith("/events")).toList();
  }

  private void relay(HttpExchange ex) throws IOException {
    URI asked = ex.getRequestURI();
    var headers = new HashMap<String, String>();
    for (String header : HEADERS) {
      List<String> values = ex.getRequestHeaders().get(header);
      if (values != null) headers.put(header, String.join(", ", values));
    }
    requests.add(new Request(ex.getRequestMethod(), asked.getRawPath(), asked.getRawQuery(), Map.copyOf(headers)));
    var forward = HttpRequest.newBuilder(URI.create(gateway + asked.toString()))
        .method(ex.getRequestMethod(), BodyPublishers.ofByteArray(ex.getRequestBody().readAllBytes()));
    headers.forEach(forward::header);
    try {
      HttpResponse<InputStream> answer = http.send(forward.build(), BodyHandlers.ofInputStream());
      try (InputStream body = answer.body()) {
        answer.headers().firstValue("Content-Type").ifPresent(type -> ex.getResponseHeaders().set("Content-Type", type));
        boolean stream = answer.statusCode() == 200 && asked.getPath().endsWith("/events");
        if (stream && fault != Break.NONE && broken.compareAndSet(false, true)) {
          breakAfterEvent(ex, body);
        } else {
          ex.sendResponseHeaders(answer.statusCode(), answer.statusCode() == 204 ? -1 : 0);
          OutputStream out = ex.getResponseBody();
          byte[] buffer = new byte[8192];
          for (int n; (n = body.read(buffer)) > 0; ) {
            out.write(buffer, 0, n);
            out.flush();
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      ex.close();
    }
  }

  /**
   * Passes the stream on up to the end of event {@code afterSeq}, then stops. DROP has announced a
   * megabyte, so closing the exchange short of it breaks the connection; END streams in chunks, so
   * closing ends the answer properly.
   */
  private void breakAfterEvent(HttpExchange ex, InputStream body) throws IOException {
    ex.sendResponseHeaders(200, fault == Break.DROP ? 1 << 20 : 0);
    OutputStream out = ex.getResponseBody();
    var reader = new BufferedReader(new InputStreamReader(body, UTF_8));
    boolean last = false;
    for (String line; (line = reader.readLine()) != null; ) {
      out.write((line + "\n").getBytes(UTF_8));
      last |= line.equals("id: " + afterSeq);
      if (line.isEmpty()) {
        out.flush();
        if (last) return;
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    http.close();
  }
}
