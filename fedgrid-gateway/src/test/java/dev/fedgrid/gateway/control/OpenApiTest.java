package dev.fedgrid.gateway.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fedgrid.gateway.GatewayServices;
import dev.fedgrid.gateway.access.TestIdentity;
import dev.fedgrid.gateway.json.Json;
import dev.fedgrid.gateway.state.SqlDatabase;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hand-written OpenAPI document describes exactly the routes the server registers. */
class OpenApiTest {
  private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options", "trace");

  @TempDir Path dir;

  @Test
  void everyRegisteredRouteIsDocumentedAndViceVersa() throws Exception {
    JsonNode doc = document();
    var documented = new TreeSet<String>();
    doc.get("paths").properties().forEach(path -> path.getValue().properties().forEach(op -> {
      if (METHODS.contains(op.getKey())) documented.add(op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey());
    }));
    var registered = new TreeSet<String>();
    // the routes of the control API exactly as the gateway builds it
    try (SqlDatabase db = SqlDatabase.sqlite(dir.resolve("gateway.db"));
        ControlServer server = GatewayServices.of(db, Clock.systemUTC(), TestIdentity.FAST).controlServer(new FakeControl()).start()) {
      server.routes().forEach(r -> registered.add(r.method().text() + " " + r.path()));
    }
    assertThat(documented).isEqualTo(registered);
  }

  @Test
  void everyReferenceResolvesAndEveryOperationDocumentsItsAnswers() throws Exception {
    JsonNode doc = document();
    var refs = new ArrayList<String>();
    collectRefs(doc, refs);
    assertThat(refs).isNotEmpty();
    for (String ref : refs) {
      assertThat(ref).startsWith("#/");
      assertThat(doc.at(ref.substring(1)).isMissingNode()).as("unresolved " + ref).isFalse();
    }
    doc.get("paths").properties().forEach(path -> path.getValue().properties().forEach(op -> {
      if (!METHODS.contains(op.getKey())) return;
      JsonNode operation = op.getValue();
      assertThat(operation.hasNonNull("operationId")).as(op.getKey() + " " + path.getKey()).isTrue();
      assertThat(operation.get("responses").properties().stream().anyMatch(r -> r.getKey().startsWith("2")))
          .as("success answer of " + op.getKey() + " " + path.getKey())
          .isTrue();
    }));
  }

  @Test
  void documentsTheErrorShape() throws Exception {
    JsonNode error = document().at("/components/schemas/Error");
    assertThat(error.get("required")).extracting(JsonNode::asText).containsExactly("code", "message", "details");
  }

  private static void collectRefs(JsonNode node, List<String> refs) {
    if (node.isObject()) {
      node.properties().forEach(e -> {
        if (e.getKey().equals("$ref")) refs.add(e.getValue().asText());
        else collectRefs(e.getValue(), refs);
      });
    } else if (node.isArray()) {
      node.forEach(n -> collectRefs(n, refs));
    }
  }

  private static JsonNode document() throws Exception {
    try (InputStream in = OpenApiTest.class.getResourceAsStream("/openapi.json")) {
      assertThat(in).as("openapi.json on the classpath").isNotNull();
      return Json.mapper().readTree(in);
    }
  }
}
