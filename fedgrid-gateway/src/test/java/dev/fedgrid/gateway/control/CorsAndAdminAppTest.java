package dev.fedgrid.gateway.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.gateway.access.TestIdentity;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over real HTTP: the admin app at {@code /admin/} (from this module's test stand-in of the
 * fedgrid-admin-ui jar's {@code index.html}) and cross-origin access to the control API, off by
 * default and on for the configured origins only.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CorsAndAdminAppTest {
  private static final String APP_ORIGIN = "http://127.0.0.1:8000";

  @TempDir Path dir;
  private TestIdentity identity;
  private ControlServer server;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @AfterEach
  void stop() {
    http.close();
    if (server != null) server.close();
    if (identity != null) identity.close();
  }

  private void start(List<String> corsOrigins) {
    identity = TestIdentity.open(dir);
    server = ControlServer.builder(new FakeControl(), identity.identity).corsOrigins(corsOrigins).start();
  }

  @Test
  void servesTheAdminAppPubliclyAtSlashAdminSlash() throws Exception {
    start(List.of());
    assertThat(ControlServer.adminAppPath()).contains("/admin/");

    HttpResponse<String> bare = send("GET", "/admin", Map.of(), null);
    assertThat(bare.statusCode()).isEqualTo(301);
    assertThat(bare.headers().firstValue("location")).contains("/admin/");

    HttpResponse<String> page = send("GET", "/admin/", Map.of(), null);
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
    assertThat(page.headers().firstValue("cache-control")).contains("no-cache");
    assertThat(page.headers().firstValue("x-content-type-options")).contains("nosniff");
    assertThat(page.body()).contains("FedGrid admin");
    assertThat(send("GET", "/admin/index.html", Map.of(), null).body()).isEqualTo(page.body());

    HttpResponse<String> missing = send("GET", "/admin/no-such-file.js", Map.of(), null);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("\"code\":\"ROUTE_NOT_FOUND\"");
  }

  @Test
  void withoutCorsOriginsThereAreNoCorsHeadersAndNoPreflight() throws Exception {
    start(List.of());
    HttpResponse<String> health = send("GET", "/api/v1/health", Map.of("Origin", APP_ORIGIN), null);
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.headers().firstValue("access-control-allow-origin")).isEmpty();

    HttpResponse<String> preflight = send("OPTIONS", "/api/v1/jobs", Map.of("Origin", APP_ORIGIN, "Access-Control-Request-Method", "GET"), null);
    assertThat(preflight.statusCode()).isEqualTo(405);
    assertThat(preflight.headers().firstValue("access-control-allow-origin")).isEmpty();
  }

  @Test
  void aConfiguredOriginGetsPreflightAndItsOwnOriginBackNeverAStar() throws Exception {
    start(List.of(APP_ORIGIN + "/", "https://Admin.Example.org"));

    HttpResponse<String> preflight = send("OPTIONS", "/api/v1/jobs",
        Map.of("Origin", APP_ORIGIN, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization, content-type"), null);
    assertThat(preflight.statusCode()).isEqualTo(204);
    assertThat(preflight.headers().firstValue("access-control-allow-origin")).contains(APP_ORIGIN);
    assertThat(preflight.headers().firstValue("access-control-allow-headers")).contains("Authorization, Content-Type, Last-Event-ID");
    assertThat(preflight.headers().firstValue("access-control-allow-methods")).hasValueSatisfying(m -> assertThat(m).contains("GET", "POST", "PUT", "PATCH", "DELETE"));
    assertThat(preflight.headers().firstValue("vary")).contains("Origin");
    assertThat(preflight.headers().firstValue("access-control-allow-credentials")).isEmpty();

    HttpResponse<String> other = send("GET", "/api/v1/health", Map.of("Origin", "https://admin.example.org"), null);
    assertThat(other.headers().firstValue("access-control-allow-origin")).contains("https://admin.example.org");

    // an authenticated call: the answer, and a refusal too, carry the headers so the app can read them
    HttpResponse<String> jobs = send("GET", "/api/v1/jobs", Map.of("Origin", APP_ORIGIN, "Authorization", "Bearer " + identity.owner.token()), null);
    assertThat(jobs.statusCode()).isEqualTo(200);
    assertThat(jobs.headers().firstValue("access-control-allow-origin")).contains(APP_ORIGIN);
    assertThat(jobs.headers().firstValue("access-control-expose-headers")).hasValueSatisfying(h -> assertThat(h).contains("Content-Disposition"));
    HttpResponse<String> refused = send("GET", "/api/v1/jobs", Map.of("Origin", APP_ORIGIN), null);
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.headers().firstValue("access-control-allow-origin")).contains(APP_ORIGIN);
  }

  @Test
  void anotherOriginGetsNoCorsHeadersAndItsPreflightIsRefusedWithTheFix() throws Exception {
    start(List.of(APP_ORIGIN));
    HttpResponse<String> health = send("GET", "/api/v1/health", Map.of("Origin", "http://evil.example"), null);
    assertThat(health.headers().firstValue("access-control-allow-origin")).isEmpty();
    assertThat(health.headers().firstValue("vary")).contains("Origin");

    HttpResponse<String> preflight = send("OPTIONS", "/api/v1/jobs", Map.of("Origin", "http://evil.example", "Access-Control-Request-Method", "GET"), null);
    assertThat(preflight.statusCode()).isEqualTo(403);
    assertThat(preflight.headers().firstValue("access-control-allow-origin")).isEmpty();
    assertThat(preflight.body()).contains("CORS_ORIGIN_NOT_ALLOWED").contains("--cors-origin http://evil.example");
  }

  @Test
  void refusesAStarAndOriginsWithAPath() {
    assertThatThrownBy(() -> ControlServer.checkCorsOrigins(List.of("*"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name each origin");
    assertThatThrownBy(() -> ControlServer.checkCorsOrigins(List.of("https://host.example/admin"))).hasMessageContaining("scheme://host[:port]");
    assertThatThrownBy(() -> ControlServer.checkCorsOrigins(List.of("host.example"))).hasMessageContaining("scheme://host[:port]");
    assertThat(ControlServer.checkCorsOrigins(List.of("HTTPS://Host.Example:8443/", "https://host.example:8443"))).containsExactly("https://host.example:8443");
  }

  private HttpResponse<String> send(String method, String path, Map<String, String> headers, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .timeout(Duration.ofSeconds(10))
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
    headers.forEach(request::header);
    return http.send(request.build(), BodyHandlers.ofString());
  }
}
