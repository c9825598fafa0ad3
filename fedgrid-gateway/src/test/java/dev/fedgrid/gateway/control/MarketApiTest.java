package dev.fedgrid.gateway.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.governance.AuditEvent;
import dev.fedgrid.gateway.GatewayServices;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.access.TestIdentity;
import dev.fedgrid.gateway.audit.AuditQuery;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.gateway.json.Json;
import dev.fedgrid.gateway.state.NodeRecord;
import dev.fedgrid.gateway.state.SqlDatabase;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The market's REST surface over real HTTP, wired as the gateway wires it: the whole path from an
 * offer to a paid debit note, and bad input (constraint syntax, negative and NaN prices, unknown and
 * malformed ids, illegal transitions, an allocation above the balance) answered with its code and
 * nothing changed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MarketApiTest {
  private static final String PASSWORD = "correct horse battery staple";
  private static final CoordinatorOptions OPTIONS =
      new CoordinatorOptions(Duration.ofMillis(200), Duration.ofMillis(1500), Duration.ofMillis(500), Duration.ofMillis(50));

  @TempDir Path dir;
  private SqlDatabase db;
  private GatewayServices services;
  private Coordinator coordinator;
  private ControlServer server;
  private HttpClient http;
  private String owner;
  private String ana;
  private String bo;
  private NodeId node;

  @BeforeEach
  void start() {
    Clock clock = Clock.systemUTC();
    db = SqlDatabase.sqlite(dir.resolve("gateway.db"));
    services = GatewayServices.of(db, clock, TestIdentity.FAST);
    coordinator = services.coordinator(OPTIONS);
    owner = services.identity().bootstrap().orElseThrow().token();
    Principal boss = services.identity().authenticate(owner);
    for (String name : List.of("ana", "bo")) services.identity().createUser(boss, name, "data-scientist", Optional.of(PASSWORD));
    ana = services.identity().login("ana", PASSWORD, "127.0.0.1").token();
    bo = services.identity().login("bo", PASSWORD, "127.0.0.1").token();
    Instant now = clock.instant();
    node = NodeId.random();
    services.store().putNode(new NodeRecord(node, "hospital-a", 8, 16384, "test", new byte[32], now, now));
    var columns = List.of(new ColumnStats("x0", 100, 1.0, 2.0));
    services.store().putDataset(node, new DatasetMetadata("cancer", DatasetFormat.CSV, List.of(1), columns, LabelInfo.categorical("y", List.of(50L, 50L)), 100, 10,
        List.of("oncology"), Visibility.PUBLIC), now);
    server = services.controlServer(coordinator).start();
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void stop() {
    http.close();
    server.close();
    coordinator.close();
    db.close();
  }

  @Test
  void fromAnOfferToAPaidDebitNote() throws Exception {
    String job = job();
    HttpResponse<String> offer = send(owner, "POST", "/api/v1/offers",
        "{\"node\": \"" + node + "\", \"properties\": {\"fedgrid.inf.mem.gib\": 16, \"fedgrid.inf.gpu\": false}, \"price\": {\"fixed\": 2, \"perUnit\": {\"cpu_seconds\": \"0.01\"}}}");
    assertThat(offer.statusCode()).isEqualTo(201);
    String offerId = json(offer).get("id").asText();
    assertThat(offer.headers().firstValue("Location")).contains("/api/v1/offers/" + offerId);
    assertThat(json(offer).at("/terms/price/fixed").asText()).isEqualTo("2");

    String demand = created(ana, "/api/v1/demands",
        "{\"job\": \"" + job + "\", \"constraints\": \"(fedgrid.inf.mem.gib>=4)\", \"maxPrice\": {\"fixed\": \"5\", \"perUnit\": {\"cpu_seconds\": \"0.02\"}}, \"budget\": \"50\"}");
    assertThat(json(send(ana, "GET", "/api/v1/offers?demand=" + demand + "&constraint=" + enc("(!(fedgrid.inf.gpu=true))"), null)).get("items")).hasSize(1);
    String proposal = created(ana, "/api/v1/proposals", "{\"offer\": \"" + offerId + "\", \"demand\": \"" + demand + "\"}");
    String agreement = created(ana, "/api/v1/agreements", "{\"proposal\": \"" + proposal + "\", \"validForSeconds\": 600}");
    assertThat(send(ana, "POST", "/api/v1/agreements/" + agreement + "/confirm", null).statusCode()).isEqualTo(200);
    JsonNode approved = json(send(owner, "POST", "/api/v1/agreements/" + agreement + "/approve", null));
    assertThat(approved.get("state").asText()).isEqualTo("APPROVED");
    assertThat(approved.get("history")).hasSize(2);

    assertThat(send(owner, "POST", "/api/v1/ledger/deposits", "{\"account\": \"user:ana\", \"amount\": \"20\", \"reference\": \"grant-7\"}").statusCode()).isEqualTo(201);
    String allocation = created(ana, "/api/v1/allocations", "{\"job\": \"" + job + "\", \"amount\": \"12.5\"}");
    String note = created(owner, "/api/v1/agreements/" + agreement + "/debit-notes", "{\"totalDue\": \"3.25\", \"acceptWithinSeconds\": 600}");
    JsonNode accepted = json(send(ana, "POST", "/api/v1/debit-notes/" + note + "/accept", null));
    assertThat(accepted.get("status").asText()).isEqualTo("SETTLED");
    assertThat(json(send(ana, "GET", "/api/v1/allocations/" + allocation, null)).get("remaining").asText()).isEqualTo("9.25");
    assertThat(json(send(ana, "GET", "/api/v1/ledger/accounts/user:ana", null)).get("balance").asText()).isEqualTo("7.5");
    assertThat(json(send(owner, "GET", "/api/v1/ledger/accounts/node:" + node, null)).get("balance").asText()).isEqualTo("3.25");
    assertThat(json(send(ana, "GET", "/api/v1/ledger/transfers", null)).get("items")).hasSize(2); // the deposit and the allocation
    assertThat(json(send(ana, "GET", "/api/v1/debit-notes?agreement=" + agreement, null)).get("items")).hasSize(1);
    // someone else's is hidden; the accepted note cannot be rejected
    assertThat(code(send(bo, "GET", "/api/v1/agreements/" + agreement, null))).isEqualTo("AGREEMENT_NOT_FOUND");
    assertThat(json(send(bo, "GET", "/api/v1/agreements", null)).get("items")).isEmpty();
    assertThat(code(send(bo, "GET", "/api/v1/ledger/accounts/user:ana", null))).isEqualTo("ACCOUNT_NOT_FOUND");
    HttpResponse<String> reject = send(ana, "POST", "/api/v1/debit-notes/" + note + "/reject", "{\"reason\": \"no\"}");
    assertThat(reject.statusCode()).isEqualTo(409);
    assertThat(code(reject)).isEqualTo("PAYMENT_DOCUMENT_STATE_CONFLICT");
  }

  @Test
  void badInputIsRefusedWithItsCodeAndChangesNothing() throws Exception {
    long before = services.audit().events(AuditQuery.all(1000)).size();
    HttpResponse<String> syntax = send(ana, "GET", "/api/v1/offers?constraint=" + enc("(&(fedgrid.inf.mem.gib>=4)"), null);
    assertThat(syntax.statusCode()).isEqualTo(400);
    assertThat(code(syntax)).isEqualTo("INVALID_CONSTRAINT");
    assertThat(json(syntax).at("/details/column").asInt()).isEqualTo(27);
    for (String price : List.of("-1", "\"-0.5\"", "\"NaN\"", "\"1e-30\"")) {
      HttpResponse<String> res = send(owner, "POST", "/api/v1/offers", "{\"node\": \"" + node + "\", \"price\": {\"fixed\": " + price + "}}");
      assertThat(res.statusCode()).as(price).isEqualTo(400);
    }
    assertThat(code(send(owner, "POST", "/api/v1/offers", "{\"node\": \"" + node + "\", \"prices\": {}}"))).isEqualTo("UNKNOWN_FIELD");
    assertThat(code(send(owner, "POST", "/api/v1/offers", "{\"node\": \"" + node + "\", \"constraints\": \"(a=1\"}"))).isEqualTo("INVALID_CONSTRAINT");
    assertThat(send(ana, "GET", "/api/v1/offers/ofr_01jd3v6q9e8r4k2m7n5p0s1t2w", null).statusCode()).isEqualTo(404);
    assertThat(code(send(ana, "GET", "/api/v1/agreements/agr_01jd3v6q9e8r4k2m7n5p0s1t2w", null))).isEqualTo("AGREEMENT_NOT_FOUND");
    assertThat(code(send(ana, "GET", "/api/v1/invoices/doc_01jd3v6q9e8r4k2m7n5p0s1t2w", null))).isEqualTo("INVOICE_NOT_FOUND");
    assertThat(code(send(ana, "GET", "/api/v1/agreements/nonsense", null))).isEqualTo("INVALID_ID");
    assertThat(code(send(ana, "GET", "/api/v1/ledger/accounts/bank:ana", null))).isEqualTo("INVALID_ACCOUNT");

    String job = job();
    HttpResponse<String> poor = send(ana, "POST", "/api/v1/allocations", "{\"job\": \"" + job + "\", \"amount\": \"1\"}");
    assertThat(poor.statusCode()).isEqualTo(409);
    assertThat(code(poor)).isEqualTo("INSUFFICIENT_FUNDS");
    assertThat(json(send(ana, "GET", "/api/v1/allocations", null)).get("items")).isEmpty();
    assertThat(code(send(ana, "POST", "/api/v1/allocations", "{\"job\": \"" + job + "\", \"amount\": \"NaN\"}"))).isEqualTo("INVALID_AMOUNT");
    assertThat(code(send(owner, "POST", "/api/v1/ledger/deposits", "{\"account\": \"system:mint\", \"amount\": \"1\"}"))).isEqualTo("INVALID_ACCOUNT");
    assertThat(services.audit().events(AuditQuery.all(1000)).stream().map(AuditEvent::action).filter(a -> !a.startsWith("job.")).count())
        .isEqualTo(before);

    String offer = created(owner, "/api/v1/offers", "{\"node\": \"" + node + "\"}");
    String demand = created(ana, "/api/v1/demands", "{\"job\": \"" + job + "\", \"budget\": \"1\"}");
    String agreement = created(ana, "/api/v1/agreements", "{\"proposal\": \"" + created(ana, "/api/v1/proposals", "{\"offer\": \"" + offer + "\", \"demand\": \"" + demand + "\"}") + "\"}");
    HttpResponse<String> illegal = send(owner, "POST", "/api/v1/agreements/" + agreement + "/approve", null);
    assertThat(illegal.statusCode()).isEqualTo(409);
    assertThat(json(illegal).at("/details/from").asText()).isEqualTo("PROPOSAL");
    assertThat(json(illegal).at("/details/to").asText()).isEqualTo("APPROVED");
    assertThat(json(send(ana, "GET", "/api/v1/agreements/" + agreement, null)).get("state").asText()).isEqualTo("PROPOSAL");
  }

  private String job() throws Exception {
    String spec = "{\"name\": \"m\", \"datasets\": [\"cancer\"], \"model\": {\"layers\": [{\"type\": \"dense\", \"units\": 1}],"
        + " \"loss\": \"binary_cross_entropy\"}, \"rounds\": 1, \"minNodes\": 2}";
    HttpResponse<String> res = send(ana, "POST", "/api/v1/jobs", spec);
    assertThat(res.statusCode()).as(res.body()).isEqualTo(201);
    return json(res).get("id").asText();
  }

  private String created(String token, String path, String body) throws Exception {
    HttpResponse<String> res = send(token, "POST", path, body);
    assertThat(res.statusCode()).as(path + " " + res.body()).isEqualTo(201);
    return json(res).get("id").asText();
  }

  private HttpResponse<String> send(String token, String method, String path, String body) throws Exception {
    var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
    return http.send(b.build(), BodyHandlers.ofString());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static JsonNode json(HttpResponse<String> res) throws Exception {
    return Json.mapper().readTree(res.body());
  }

  private static String code(HttpResponse<String> res) throws Exception {
    return json(res).path("code").asText();
  }
}
