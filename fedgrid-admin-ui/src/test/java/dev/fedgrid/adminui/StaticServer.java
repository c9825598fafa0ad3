package dev.fedgrid.adminui;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Serves the admin app's files from the classpath ({@code META-INF/fedgrid-admin-ui/}, as packaged
 * in the module's jar) at {@code /admin/} on loopback, the way any static host would. Every other
 * path answers a plain-text 404, so the app pointed at this server as its API sees a host that is
 * not a gateway.
 *
 * <p>Thread-safe; runs until {@link #close()}.
 */
final class StaticServer implements AutoCloseable {
  static final String ROOT = "META-INF/fedgrid-admin-ui/";
  private static final Map<String, String> TYPES =
      Map.of("html", "text/html; charset=utf-8", "js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8", "svg", "image/svg+xml");

  private final HttpServer server;

  private StaticServer(HttpServer server) {
    this.server = server;
  }

  static StaticServer start() {
    try {
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      server.createContext("/", StaticServer::handle);
      server.start();
      return new StaticServer(server);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The app's address, such as {@code http://127.0.0.1:41234/admin/}. */
  String appUrl() {
    return origin() + "/admin/";
  }

  String origin() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private static void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      if (path.equals("/admin")) {
        exchange.getResponseHeaders().add("Location", "/admin/");
        exchange.sendResponseHeaders(301, -1);
        return;
      }
      String file = path.startsWith("/admin/") ? path.substring("/admin/".length()) : null;
      if (file != null && file.isEmpty()) file = "index.html";
      byte[] body = file == null || file.contains("..") ? null : resource(file);
      if (body == null) {
        byte[] text = ("no such file: " + path).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(404, text.length);
        exchange.getResponseBody().write(text);
        return;
      }
      String ext = file.substring(file.lastIndexOf('.') + 1);
      exchange.getResponseHeaders().add("Content-Type", TYPES.getOrDefault(ext, "application/octet-stream"));
      exchange.getResponseHeaders().add("Cache-Control", "no-cache");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
    }
  }

  private static byte[] resource(String file) throws IOException {
    try (InputStream in = StaticServer.class.getClassLoader().getResourceAsStream(ROOT + file)) {
      return in == null ? null : in.readAllBytes();
    }
  }
}
