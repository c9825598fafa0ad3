package dev.fedgrid.gateway.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fedgrid.gateway.access.JoinTokens;
import dev.fedgrid.gateway.access.TestIdentity;
import dev.fedgrid.gateway.audit.AuditQuery;
import dev.fedgrid.gateway.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The join token endpoints over HTTP: a real control server on loopback with a real identity database. */
class EnrolmentHandlersTest {
  @TempDir Path dir;
  private TestIdentity identity;
  private ControlServer server;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void start() {
    identity = TestIdentity.open(dir);
    server = ControlServer.builder(new FakeControl(), identity.identity)
        .joinTokens(new JoinTokens(identity.db, identity.audit, InstantSource.system()))
        .start();
  }

  @AfterEach
  void stop() {
    server.close();
    http.close();
    identity.close();
  }

  @Test
  void anOperatorIssuesListsAndRevokesTokensAndTheSecretIsShownOnce() throws Exception {
    String owner = identity.owner.token();
    HttpResponse<String> created = call("POST", "/api/v1/nodes/join-tokens", owner, "{\"name\": \"hospital-a\", \"expiresInHours\": 48}");
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(created.headers().firstValue("Cache-Control")).hasValue("no-store");
    JsonNode issued = Json.mapper().readTree(created.body());
    String secret = issued.get("token").asText();
    assertThat(secret).matches("fgj_[A-Za-z0-9_-]{43}");
    assertThat(issued.get("id").asText()).startsWith("join_");
    assertThat(issued.get("nodeName").asText()).isEqualTo("hospital-a");
    assertThat(issued.get("expiresAt").asText()).isNotBlank();

    HttpResponse<String> anyName = call("POST", "/api/v1/nodes/join-tokens", owner, null); // no body: any name, 24 h
    assertThat(anyName.statusCode()).isEqualTo(201);
    assertThat(Json.mapper().readTree(anyName.body()).has("nodeName")).isFalse();

    HttpResponse<String> list = call("GET", "/api/v1/nodes/join-tokens", owner, null);
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(list.body()).doesNotContain(secret).doesNotContain(secret.substring(4)).doesNotContain("\"token\"");
    JsonNode items = Json.mapper().readTree(list.body()).get("items");
    assertThat(items).hasSize(2);
    assertThat(items.get(1).get("id").asText()).isEqualTo(issued.get("id").asText());
    assertThat(items.get(1).get("state").asText()).isEqualTo("active");
    assertThat(items.get(1).get("createdBy").asText()).isEqualTo("owner");

    HttpResponse<String> revoked = call("DELETE", "/api/v1/nodes/join-tokens/" + issued.get("id").asText(), owner, null);
    assertThat(revoked.statusCode()).isEqualTo(200);
    assertThat(Json.mapper().readTree(revoked.body()).get("state").asText()).isEqualTo("revoked");
    assertThat(identity.audit.events(AuditQuery.all(100))).extracting(e -> e.action())
        .containsSubsequence("node.join-token.created", "node.join-token.created", "node.join-token.revoked");
    assertThat(identity.audit.events(AuditQuery.all(100))).allSatisfy(e -> assertThat(e.details().values()).doesNotContain(secret));
  }

  @Test
  void refusesUsersWithoutThePermissionAndBadRequests() throws Exception {
    String owner = identity.owner.token();
    String scientist = identity.tokenFor("sam", "data-scientist");
    assertThat(call("POST", "/api/v1/nodes/join-tokens", scientist, "{}").statusCode()).isEqualTo(403);
    assertThat(call("GET", "/api/v1/nodes/join-tokens", scientist, null).statusCode()).isEqualTo(403);
    assertThat(call("GET", "/api/v1/nodes/join-tokens", null, null).statusCode()).isEqualTo(401);

    HttpResponse<String> tooLong = call("POST", "/api/v1/nodes/join-tokens", owner, "{\"expiresInHours\": 721}");
    assertThat(tooLong.statusCode()).isEqualTo(400);
    assertThat(tooLong.body()).contains("INVALID_JOIN_TOKEN").contains("1 to 720");
    assertThat(call("POST", "/api/v1/nodes/join-tokens", owner, "{\"nodeName\": \"typo\"}").statusCode()).isEqualTo(400);
    HttpResponse<String> unknown = call("DELETE", "/api/v1/nodes/join-tokens/join_01jd3v6q9e8r4k2m7n5p0s1t2w", owner, null);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body()).contains("JOIN_TOKEN_NOT_FOUND");
    assertThat(call("DELETE", "/api/v1/nodes/join-tokens/fgj_secret", owner, null).body()).contains("INVALID_ID");
  }

  private HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
    if (body != null) b.header("Content-Type", "application/json");
    if (token != null) b.header("Authorization", "Bearer " + token);
    return http.send(b.build(), BodyHandlers.ofString());
  }
}
