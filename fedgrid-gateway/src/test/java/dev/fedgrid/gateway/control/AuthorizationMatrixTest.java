package dev.fedgrid.gateway.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.governance.RequestId;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.gateway.GatewayServices;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.access.TestIdentity;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.gateway.json.Json;
import dev.fedgrid.gateway.market.MarketViews.AgreementView;
import dev.fedgrid.gateway.market.MarketViews.DemandTerms;
import dev.fedgrid.gateway.market.MarketViews.OfferTerms;
import dev.fedgrid.gateway.market.MarketViews.Price;
import dev.fedgrid.gateway.state.Checkpoint;
import dev.fedgrid.gateway.state.NodeRecord;
import dev.fedgrid.gateway.state.SqlDatabase;
import java.io.InputStream;
import java.net.URI;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every route of the control API, called with no token, a bad token and a token of each seeded
 * role, against the services wired exactly as the gateway wires them ({@link GatewayServices}: a
 * real coordinator with its job admissions, identities, dataset grants, privacy budgets, release
 * requests with held results, join tokens and the audit ledger, on SQLite): the answer must be the
 * one in {@link #EXPECTED}. A route without a row fails the test, so a new route cannot ship without
 * deciding who may call it. The letters follow the table "Who may call what" in
 * docs/governance.md.
 *
 * <p>Each cell gets fresh fixtures where the call changes something (a new job to cancel, a new
 * role to delete, a new request to decide), so cells do not depend on each other's order. Jobs,
 * budget requests and release requests belong to the data scientist. Rules that depend on the
 * object rather than the role are checked in {@link #rulesTheRoleAloneDoesNotDecide}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuthorizationMatrixTest {
  /** The seeded roles, in the order of the letters in {@link #EXPECTED}. */
  private static final List<String> ROLES = List.of("owner", "administrator", "compliance-officer", "data-scientist", "data-owner");
  private static final String PASSWORD = "correct horse battery staple";
  private static final CoordinatorOptions OPTIONS =
      new CoordinatorOptions(Duration.ofMillis(200), Duration.ofMillis(1500), Duration.ofMillis(500), Duration.ofMillis(50));

  /**
   * One letter per role, in the order of {@link #ROLES}: {@code A} allowed (neither 401, 403 nor
   * 404), {@code D} denied (403), {@code H} hidden (404: the object exists but is not the
   * caller's, answered as if it did not). Callers without a valid token get 401 on every route but
   * the public ones, which allow everybody.
   */
  private static final Map<String, String> EXPECTED = new LinkedHashMap<>();

  static {
    row("POST /api/v1/login", "AAAAA");
    row("GET /api/v1/me", "AAAAA");
    row("GET /api/v1/users", "AADDD");
    row("POST /api/v1/users", "AADDD");
    row("GET /api/v1/users/{name}", "AADDD");
    row("PATCH /api/v1/users/{name}", "AADDD");
    row("GET /api/v1/roles", "AAAAA");
    row("POST /api/v1/roles", "AADDD");
    row("PUT /api/v1/roles/{name}", "AADDD");
    row("DELETE /api/v1/roles/{name}", "AADDD");
    row("GET /api/v1/tokens", "AAAAA");
    row("POST /api/v1/tokens", "AAAAA");
    row("DELETE /api/v1/tokens/{id}", "AAAAA");
    row("POST /api/v1/jobs", "ADDAD");
    row("GET /api/v1/jobs", "AAAAA");
    row("GET /api/v1/jobs/{id}", "AHAAH");
    row("DELETE /api/v1/jobs/{id}", "AHDAH");
    row("POST /api/v1/jobs/{id}/cancel", "AHDAH");
    row("GET /api/v1/jobs/{id}/rounds", "AHAAH");
    row("GET /api/v1/jobs/{id}/contributions", "AHAAH");
    row("GET /api/v1/jobs/{id}/events", "AHAAH");
    row("GET /api/v1/jobs/{id}/model", "DHDAH"); // of a private job whose release was approved
    row("GET /api/v1/jobs/{id}/model/spec", "AHAAH"); // likewise
    row("GET /api/v1/jobs/{id}/report", "AHAAH"); // of a held private job: held metrics are left out, not refused
    row("GET /api/v1/jobs/{id}/report/charts/{chart}", "AHAAH");
    row("GET /api/v1/nodes", "AADDA");
    row("GET /api/v1/nodes/{id}", "AADDA");
    row("POST /api/v1/nodes/join-tokens", "AADDD");
    row("GET /api/v1/nodes/join-tokens", "AADDD");
    row("DELETE /api/v1/nodes/join-tokens/{id}", "AADDD");
    row("GET /api/v1/datasets", "AAAAA");
    row("GET /api/v1/datasets/{id}", "AAAAA");
    row("PATCH /api/v1/datasets/{id}", "ADADD"); // making data public is a release decision: compliance's
    row("GET /api/v1/datasets/{id}/grants", "AAAAA");
    row("PUT /api/v1/datasets/{id}/grants/{user}", "AADDA");
    row("DELETE /api/v1/datasets/{id}/grants/{user}", "AAADA");
    row("GET /api/v1/budgets", "AAAAA");
    row("PUT /api/v1/budgets/{user}/{datasetId}", "ADADD");
    row("GET /api/v1/budget-requests", "AAAAA");
    row("POST /api/v1/budget-requests", "ADDAD");
    row("GET /api/v1/budget-requests/{id}", "AHAAH");
    row("POST /api/v1/budget-requests/{id}/approve", "ADADD");
    row("POST /api/v1/budget-requests/{id}/deny", "ADADD");
    row("POST /api/v1/jobs/{id}/release-requests", "DDDAD"); // the owner holds the permission but not the job
    row("GET /api/v1/release-requests", "AAAAA");
    row("GET /api/v1/release-requests/{id}", "AHAAH");
    row("POST /api/v1/release-requests/{id}/approve", "ADADD");
    row("POST /api/v1/release-requests/{id}/deny", "ADADD");
    row("GET /api/v1/audit/events", "AAADD");
    row("GET /api/v1/audit/events/stream", "AAADD");
    row("POST /api/v1/audit/verify", "AAADD");
    // the market (docs/market.md): the provider side is can_manage_infrastructure, the requestor the
    // job's owner; the owner role holds can_make_data_requests but not the data scientist's job
    row("POST /api/v1/offers", "AADDD");
    row("GET /api/v1/offers", "AAAAA");
    row("GET /api/v1/offers/{id}", "AAAAA");
    row("POST /api/v1/offers/{id}/withdraw", "AADDD");
    row("POST /api/v1/demands", "DDDAD");
    row("GET /api/v1/demands", "AAAAA");
    row("GET /api/v1/demands/{id}", "AAHAH");
    row("POST /api/v1/demands/{id}/withdraw", "DDDAD");
    row("POST /api/v1/proposals", "AADAD");
    row("GET /api/v1/proposals", "AAAAA");
    row("GET /api/v1/proposals/{id}", "AAHAH");
    row("POST /api/v1/proposals/{id}/counter", "AADAD"); // the requestor's own proposal: 409, not theirs to counter
    row("POST /api/v1/agreements", "DDDAD");
    row("GET /api/v1/jobs/{id}/assignments/{node}", "AADDD"); // what a key custodian's operator token asks
    row("GET /api/v1/agreements", "AAAAA");
    row("GET /api/v1/agreements/{id}", "AAHAH");
    row("POST /api/v1/agreements/{id}/confirm", "DDDAD");
    row("POST /api/v1/agreements/{id}/approve", "AADDD");
    row("POST /api/v1/agreements/{id}/reject", "AADDD");
    row("POST /api/v1/agreements/{id}/cancel", "DDDAD");
    row("POST /api/v1/agreements/{id}/terminate", "AADAD");
    row("POST /api/v1/agreements/{id}/debit-notes", "AADDD");
    row("POST /api/v1/agreements/{id}/invoices", "AADDD");
    row("POST /api/v1/activities", "DDDAD"); // the owner holds the permission but is not the agreement's requestor
    row("GET /api/v1/activities", "AAAAA");
    row("GET /api/v1/activities/{id}", "AAHAH");
    row("POST /api/v1/activities/{id}/exec", "DDDAD");
    row("GET /api/v1/activities/{id}/batches/{batch}", "AAHAH");
    row("GET /api/v1/activities/{id}/logs", "AAHAH");
    row("POST /api/v1/activities/{id}/terminate", "DDDAD");
    row("POST /api/v1/allocations", "DDDAD");
    row("GET /api/v1/allocations", "AAAAA");
    row("GET /api/v1/allocations/{id}", "AAHAH");
    row("POST /api/v1/allocations/{id}/release", "DDDAD");
    row("GET /api/v1/debit-notes", "AAAAA");
    row("GET /api/v1/debit-notes/{id}", "AAHAH");
    row("POST /api/v1/debit-notes/{id}/accept", "DDDAD");
    row("POST /api/v1/debit-notes/{id}/reject", "DDDAD");
    row("POST /api/v1/debit-notes/{id}/cancel", "AADDD");
    row("GET /api/v1/invoices", "AAAAA");
    row("GET /api/v1/invoices/{id}", "AAHAH");
    row("POST /api/v1/invoices/{id}/accept", "DDDAD");
    row("POST /api/v1/invoices/{id}/reject", "DDDAD");
    row("POST /api/v1/invoices/{id}/cancel", "AADDD");
    row("GET /api/v1/ledger/accounts", "AAAAA");
    row("GET /api/v1/ledger/accounts/{id}", "AAHAH");
    row("GET /api/v1/ledger/transfers", "AAAAA");
    row("POST /api/v1/ledger/deposits", "AADDD");
    row("GET /api/v1/health", "AAAAA");
    row("GET /api/v1/openapi.json", "AAAAA");
  }

  private static void row(String route, String letters) {
    if (letters.length() != ROLES.size()) throw new IllegalArgumentException(route + ": one letter per role");
    EXPECTED.put(route, letters);
  }

  @TempDir Path dir;
  private SqlDatabase db;
  private GatewayServices services;
  private Coordinator coordinator;
  private ControlServer server;
  private HttpClient http;
  private final Map<String, String> tokens = new LinkedHashMap<>();
  private final Map<String, Principal> principals = new LinkedHashMap<>();
  private NodeId node;
  private DatasetId dataset;
  private DatasetId heart;
  private final AtomicInteger serial = new AtomicInteger();

  @BeforeEach
  void start() {
    Clock clock = Clock.systemUTC();
    db = SqlDatabase.sqlite(dir.resolve("gateway.db"));
    services = GatewayServices.of(db, clock, TestIdentity.FAST);
    coordinator = services.coordinator(OPTIONS);
    Instant now = clock.instant();
    node = NodeId.random();
    services.store().putNode(new NodeRecord(node, "hospital-a", 2, 1024, "test", new byte[32], now, now));
    dataset = services.store().putDataset(node, metadata("cancer", Visibility.PUBLIC), now).id();
    heart = services.store().putDataset(node, metadata("heart", Visibility.PRIVATE), now).id();
    coordinator.start();
    server = services.controlServer(coordinator).heartbeat(Duration.ofMillis(100)).start();
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    tokens.put("owner", services.identity().bootstrap().orElseThrow().token());
    principals.put("owner", services.identity().authenticate(tokens.get("owner")));
    for (String role : ROLES.subList(1, ROLES.size())) tokens.put(role, tokenFor(userOf(role), role));
    tokens.forEach((role, token) -> principals.put(role, services.identity().authenticate(token)));
    services.identity().createUser(principals.get("owner"), "target", "data-scientist", Optional.of(PASSWORD));
    // the data scientist may train on the private dataset; its results are held
    services.datasets().grant(principals.get("owner"), heart, userOf("data-scientist"), true, false);
  }

  @AfterEach
  void stop() {
    if (http != null) http.close();
    if (server != null) server.close();
    if (coordinator != null) coordinator.close();
    if (db != null) db.close();
  }

  @Test
  void everyRouteAnswersEveryRoleAsTheTableSays() throws Exception {
    assertThat(services.identity().roles().stream().filter(r -> r.builtin()).map(r -> r.name()).toList()).containsExactlyElementsOf(ROLES);
    var missing = new ArrayList<String>();
    var wrong = new ArrayList<String>();
    for (Route route : server.routes()) {
      String key = route.method().text() + " " + route.path();
      String letters = EXPECTED.get(key);
      if (letters == null) {
        missing.add(key);
        continue;
      }
      boolean isPublic = !route.access().authenticated();
      check(wrong, key, "no token", call(route, null, null), isPublic ? 'A' : 'U');
      check(wrong, key, "bad token", call(route, null, "fgt_" + "x".repeat(43)), isPublic ? 'A' : 'U');
      for (int i = 0; i < ROLES.size(); i++) {
        String role = ROLES.get(i);
        check(wrong, key, role, call(route, role, tokens.get(role)), letters.charAt(i));
      }
    }
    assertThat(missing).as("routes without a row in AuthorizationMatrixTest.EXPECTED").isEmpty();
    assertThat(wrong).as("cells that differ from the table").isEmpty();
    assertThat(EXPECTED.keySet()).as("rows for routes that do not exist")
        .containsExactlyInAnyOrderElementsOf(server.routes().stream().map(r -> r.method().text() + " " + r.path()).toList());
  }

  /**
   * Cells where the role passes but the object decides: whose request, whose job, whether its
   * results are released. Those already checked by {@link BudgetsAndReleasesTest} (someone else's
   * job or release request, self-approval, decided requests) are not repeated.
   */
  @Test
  void rulesTheRoleAloneDoesNotDecide() throws Exception {
    String scientist = tokens.get("data-scientist");
    String bo = tokenFor("bo", "data-scientist");
    var wrong = new ArrayList<String>();

    // another data scientist does not see the request, as if it did not exist
    RequestId budgetRequest = budgetRequest();
    expect(wrong, "another data scientist reads a budget request", send(bo, "GET", "/api/v1/budget-requests/" + budgetRequest, null), 404, "REQUEST_NOT_FOUND");
    expect(wrong, "another data scientist approves it", send(bo, "POST", "/api/v1/budget-requests/" + budgetRequest + "/approve", "{}"), 403, "PERMISSION_DENIED");

    // the owner sees every job but files release requests for their own only
    expect(wrong, "the owner files for the data scientist's job",
        send(tokens.get("owner"), "POST", "/api/v1/jobs/" + finishedPrivateJob().id() + "/release-requests", "{\"reason\": \"mine now\"}"), 403, "NOT_JOB_OWNER");
    // a release is asked for final results
    Job queued = submit("heart");
    expect(wrong, "a release request for a queued job", send(scientist, "POST", "/api/v1/jobs/" + queued.id() + "/release-requests", "{\"reason\": \"early\"}"),
        409, "JOB_NOT_FINISHED");

    // held results: not for the officer either until approved, but for a holder of a download grant
    Job held = finishedPrivateJob();
    expect(wrong, "the officer reads a held model's description", send(tokens.get("compliance-officer"), "GET", "/api/v1/jobs/" + held.id() + "/model/spec", null),
        403, "RELEASE_REQUIRED");
    expect(wrong, "the data scientist downloads a held model", send(scientist, "GET", "/api/v1/jobs/" + held.id() + "/model", null), 403, "RELEASE_REQUIRED");
    services.datasets().grant(principals.get("compliance-officer"), heart, userOf("data-scientist"), true, true);
    expect(wrong, "the data scientist downloads it with a download-results grant", send(scientist, "GET", "/api/v1/jobs/" + held.id() + "/model", null), 200, null);

    // filing needs can_make_data_requests now, not when the job was submitted
    Job before = finishedPrivateJob();
    services.identity().updateUser(principals.get("owner"), userOf("data-scientist"), Optional.of("data-owner"), Optional.empty(), Optional.empty(), Optional.empty());
    expect(wrong, "a former data scientist files for their own job", send(scientist, "POST", "/api/v1/jobs/" + before.id() + "/release-requests", "{\"reason\": \"old\"}"),
        403, "PERMISSION_DENIED");

    assertThat(wrong).as("cells that differ").isEmpty();
  }

  private static void check(List<String> wrong, String route, String who, Answer res, char expected) {
    int status = res.statusCode();
    char actual = switch (status) {
      case 401 -> 'U';
      case 403 -> 'D';
      case 404 -> 'H';
      default -> 'A';
    };
    if (status >= 500) actual = '!';
    if (actual != expected) {
      String body = res.body() == null ? "" : res.body();
      wrong.add(route + " as " + who + ": expected " + expected + ", got " + status + " " + (body.length() > 200 ? body.substring(0, 200) : body));
    }
  }

  private static void expect(List<String> wrong, String what, Answer res, int status, String code) throws Exception {
    String actual = res.statusCode() >= 400 ? Json.mapper().readTree(res.body()).path("code").asText() : null;
    if (res.statusCode() != status || (code != null && !code.equals(actual))) {
      wrong.add(what + ": expected " + status + " " + code + ", got " + res.statusCode() + " " + res.body());
    }
  }

  // ---- fixtures: a request for each route, with objects that exist ----

  /** The request for {@code route} as {@code role} (null: no valid token). */
  private Answer call(Route route, String role, String token) throws Exception {
    String caller = role == null ? "owner" : role;
    int n = serial.incrementAndGet();
    String path = route.path();
    String body = null;
    switch (route.method().text() + " " + route.path()) {
      case "POST /api/v1/login" -> body = "{\"user\": \"target\", \"password\": \"" + PASSWORD + "\"}";
      case "POST /api/v1/users" -> body = "{\"name\": \"new" + n + "\", \"role\": \"data-owner\"}";
      case "GET /api/v1/users/{name}" -> path = path.replace("{name}", "target");
      case "PATCH /api/v1/users/{name}" -> {
        String name = "patch" + n;
        services.identity().createUser(principals.get("owner"), name, "data-owner", Optional.empty());
        path = path.replace("{name}", name);
        body = "{\"disabled\": true}";
      }
      case "POST /api/v1/roles" -> body = "{\"name\": \"role" + n + "\", \"description\": \"\", \"permissions\": []}";
      case "PUT /api/v1/roles/{name}", "DELETE /api/v1/roles/{name}" -> {
        String name = "role" + n;
        services.identity().createRole(principals.get("owner"), name, "", List.of());
        path = path.replace("{name}", name);
        if (route.method().text().equals("PUT")) body = "{\"description\": \"changed\", \"permissions\": []}";
      }
      case "POST /api/v1/tokens" -> body = "{\"name\": \"t" + n + "\", \"expiresInDays\": 1}";
      case "DELETE /api/v1/tokens/{id}" ->
          path = path.replace("{id}", services.identity().createToken(principals.get(caller), "t" + n, 1).info().id().value());
      case "POST /api/v1/jobs" -> body = SPEC;
      case "GET /api/v1/jobs/{id}", "GET /api/v1/jobs/{id}/rounds", "GET /api/v1/jobs/{id}/contributions", "POST /api/v1/jobs/{id}/cancel" -> path = path.replace("{id}", scientistsJob().id().value());
      case "DELETE /api/v1/jobs/{id}", "GET /api/v1/jobs/{id}/events" -> {
        Job job = scientistsJob();
        coordinator.cancelJob(principals.get("data-scientist"), job.id()); // finished: deletable, and its stream ends
        path = path.replace("{id}", job.id().value());
      }
      case "GET /api/v1/jobs/{id}/model", "GET /api/v1/jobs/{id}/model/spec" -> {
        Job job = finishedPrivateJob();
        services.releases().approve(principals.get("compliance-officer"), services.releases().file(principals.get("data-scientist"), job, "a paper").id(), "fine");
        path = path.replace("{id}", job.id().value());
      }
      case "GET /api/v1/jobs/{id}/report" -> path = path.replace("{id}", finishedPrivateJob().id().value());
      case "GET /api/v1/jobs/{id}/report/charts/{chart}" -> path = path.replace("{id}", finishedPrivateJob().id().value()).replace("{chart}", "metrics.png");
      case "GET /api/v1/nodes/{id}" -> path = path.replace("{id}", node.value());
      case "GET /api/v1/jobs/{id}/assignments/{node}" -> path = path.replace("{id}", scientistsJob().id().value()).replace("{node}", "hospital-a");
      case "POST /api/v1/nodes/join-tokens" -> body = "{\"name\": \"node" + n + "\", \"expiresInHours\": 1}";
      case "DELETE /api/v1/nodes/join-tokens/{id}" ->
          path = path.replace("{id}", services.joinTokens().issue(principals.get("owner"), Optional.of("node" + n), Duration.ofHours(1)).id().value());
      case "GET /api/v1/datasets/{id}", "GET /api/v1/datasets/{id}/grants" -> path = path.replace("{id}", dataset.value());
      case "PATCH /api/v1/datasets/{id}" -> {
        path = path.replace("{id}", dataset.value());
        body = "{\"visibility\": \"public\"}";
      }
      case "PUT /api/v1/datasets/{id}/grants/{user}" -> {
        String name = "grantee" + n;
        services.identity().createUser(principals.get("owner"), name, "data-scientist", Optional.empty());
        path = path.replace("{id}", dataset.value()).replace("{user}", name);
        body = "{\"process\": true}";
      }
      case "DELETE /api/v1/datasets/{id}/grants/{user}" -> {
        String name = "grantee" + n;
        services.identity().createUser(principals.get("owner"), name, "data-scientist", Optional.empty());
        services.datasets().grant(principals.get("owner"), dataset, name, true, false);
        path = path.replace("{id}", dataset.value()).replace("{user}", name);
      }
      case "PUT /api/v1/budgets/{user}/{datasetId}" -> {
        path = path.replace("{user}", "target").replace("{datasetId}", heart.value());
        body = "{\"epsilon\": " + n + ", \"delta\": 1e-5}";
      }
      case "POST /api/v1/budget-requests" -> body = "{\"dataset\": \"" + heart + "\", \"epsilon\": 1, \"reason\": \"a study\"}";
      case "GET /api/v1/budget-requests/{id}", "POST /api/v1/budget-requests/{id}/approve", "POST /api/v1/budget-requests/{id}/deny" -> {
        path = path.replace("{id}", budgetRequest().value());
        if (route.method().text().equals("POST")) body = "{\"comment\": \"decided\"}";
      }
      case "POST /api/v1/jobs/{id}/release-requests" -> {
        path = path.replace("{id}", finishedPrivateJob().id().value());
        body = "{\"reason\": \"a paper\"}";
      }
      case "GET /api/v1/release-requests/{id}", "POST /api/v1/release-requests/{id}/approve", "POST /api/v1/release-requests/{id}/deny" -> {
        path = path.replace("{id}", services.releases().file(principals.get("data-scientist"), finishedPrivateJob(), "a paper").id().value());
        if (route.method().text().equals("POST")) body = "{\"comment\": \"decided\"}";
      }
      case "GET /api/v1/audit/events/stream" -> path = path + "?until=2000-01-01T00:00:00Z"; // ends at once
      case "POST /api/v1/offers" -> body = "{\"node\": \"" + node + "\", \"properties\": {\"fedgrid.inf.cpu.cores\": 4}, \"price\": {\"fixed\": \"1\"}}";
      case "GET /api/v1/offers/{id}", "POST /api/v1/offers/{id}/withdraw" -> path = path.replace("{id}", offer());
      case "POST /api/v1/demands" -> body = "{\"job\": \"" + scientistsJob().id() + "\", \"maxPrice\": {\"fixed\": \"10\"}, \"budget\": \"100\"}";
      case "GET /api/v1/demands/{id}", "POST /api/v1/demands/{id}/withdraw" -> path = path.replace("{id}", demand());
      case "POST /api/v1/proposals" -> body = "{\"offer\": \"" + offer() + "\", \"demand\": \"" + demand() + "\"}";
      case "GET /api/v1/proposals/{id}", "POST /api/v1/proposals/{id}/counter" -> {
        path = path.replace("{id}", proposal());
        if (route.method().text().equals("POST")) body = "{}";
      }
      case "POST /api/v1/agreements" -> body = "{\"proposal\": \"" + proposal() + "\"}";
      case "GET /api/v1/agreements/{id}", "POST /api/v1/agreements/{id}/confirm", "POST /api/v1/agreements/{id}/cancel" ->
          path = path.replace("{id}", agreement(0));
      case "POST /api/v1/agreements/{id}/approve", "POST /api/v1/agreements/{id}/reject" -> path = path.replace("{id}", agreement(1));
      case "POST /api/v1/agreements/{id}/terminate" -> {
        path = path.replace("{id}", agreement(2));
        body = "{\"reason\": \"done\"}";
      }
      case "POST /api/v1/agreements/{id}/debit-notes" -> {
        path = path.replace("{id}", agreement(2));
        body = "{\"totalDue\": \"1\"}";
      }
      case "POST /api/v1/agreements/{id}/invoices" -> {
        path = path.replace("{id}", agreement(2));
        body = "{\"amount\": \"0\"}";
      }
      case "POST /api/v1/activities" -> body = "{\"agreement\": \"" + agreement(2) + "\"}";
      case "GET /api/v1/activities/{id}", "GET /api/v1/activities/{id}/logs" -> path = path.replace("{id}", activity());
      case "POST /api/v1/activities/{id}/exec" -> {
        path = path.replace("{id}", activity());
        body = "{\"commands\": [{\"terminate\": {}}]}";
      }
      case "GET /api/v1/activities/{id}/batches/{batch}" -> {
        String activity = activity();
        var batch = services.activities().exec(principals.get("data-scientist"), activity, Json.mapper().readTree("[{\"terminate\": {}}]"));
        path = path.replace("{id}", activity).replace("{batch}", batch.id());
      }
      case "POST /api/v1/activities/{id}/terminate" -> {
        path = path.replace("{id}", activity());
        body = "{\"reason\": \"done\"}";
      }
      case "POST /api/v1/allocations" -> {
        fund();
        body = "{\"job\": \"" + scientistsJob().id() + "\", \"amount\": \"5\"}";
      }
      case "GET /api/v1/allocations/{id}", "POST /api/v1/allocations/{id}/release" -> {
        fund();
        path = path.replace("{id}", services.market().allocate(principals.get("data-scientist"), scientistsJob().id().value(), "5").id());
      }
      case "GET /api/v1/debit-notes/{id}", "POST /api/v1/debit-notes/{id}/accept", "POST /api/v1/debit-notes/{id}/cancel" ->
          path = path.replace("{id}", document(true));
      case "POST /api/v1/debit-notes/{id}/reject", "POST /api/v1/invoices/{id}/reject" -> {
        path = path.replace("{id}", document(route.path().startsWith("/api/v1/debit-notes")));
        body = "{\"reason\": \"too much\"}";
      }
      case "GET /api/v1/invoices/{id}", "POST /api/v1/invoices/{id}/accept", "POST /api/v1/invoices/{id}/cancel" -> path = path.replace("{id}", document(false));
      case "GET /api/v1/ledger/accounts/{id}" -> {
        fund();
        path = path.replace("{id}", "user:" + userOf("data-scientist"));
      }
      case "POST /api/v1/ledger/deposits" -> body = "{\"account\": \"user:target\", \"amount\": \"1\"}";
      default -> {
        if (path.contains("{")) throw new AssertionError("no fixture for " + route.method().text() + " " + route.path() + "; add one to AuthorizationMatrixTest.call");
      }
    }
    return send(token, route.method().text(), path, body);
  }

  private Answer send(String token, String method, String path, String body) throws Exception {
    var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/json")
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
    if (token != null) b.header("Authorization", "Bearer " + token);
    // a stream (events) answers 200 at once and may stay open: read bodies of failures only
    HttpResponse<InputStream> res = http.send(b.build(), BodyHandlers.ofInputStream());
    try (InputStream in = res.body()) {
      return new Answer(res.statusCode(), res.statusCode() >= 400 ? new String(in.readAllBytes(), StandardCharsets.UTF_8) : "");
    }
  }

  /** A status and, for failures, the body. */
  private record Answer(int statusCode, String body) {
  }

  private static final String SPEC = spec("cancer");

  /** A job on one dataset that waits for a second node forever. */
  private static String spec(String dataset) {
    return "{\"name\": \"matrix\", \"datasets\": [\"" + dataset + "\"], \"model\": {\"layers\": [{\"type\": \"dense\", \"units\": 1}],"
        + " \"loss\": \"binary_cross_entropy\"}, \"rounds\": 1, \"minNodes\": 2}";
  }

  private static DatasetMetadata metadata(String name, Visibility visibility) {
    var columns = List.of(new ColumnStats("x0", 100, 1.0, 2.0), new ColumnStats("x1", 100, -1.0, 0.5));
    return new DatasetMetadata(name, DatasetFormat.CSV, List.of(2), columns, LabelInfo.categorical("benign", List.of(50L, 50L)), 100, 10, List.of("health"), visibility);
  }

  /** The seeded user of a role other than the owner. */
  private static String userOf(String role) {
    return role.replace("-", "") + "1";
  }

  /** Creates a user with {@code role} and returns a session token of theirs. */
  private String tokenFor(String name, String role) {
    services.identity().createUser(principals.get("owner"), name, role, Optional.of(PASSWORD));
    return services.identity().login(name, PASSWORD, "127.0.0.1").token();
  }

  /** A fresh queued job on the public dataset, submitted by the data scientist. */
  private Job scientistsJob() throws Exception {
    return submit("cancer");
  }

  /** A fresh queued job of the data scientist's on {@code dataset}. */
  private Job submit(String dataset) throws Exception {
    return coordinator.submitJob(principals.get("data-scientist"), Json.mapper().readValue(spec(dataset), JobSpec.class));
  }

  /**
   * A job of the data scientist on the private dataset that completed one round, recorded through
   * the state store as the job runner records it: its results are held.
   */
  private Job finishedPrivateJob() throws Exception {
    Job job = submit("heart");
    JobId id = job.id();
    Checkpoint initial = services.store().latestCheckpoint(id).orElseThrow();
    Instant now = Instant.now();
    Map<String, Double> metrics = Map.of("loss", 0.4, "auc", 0.9);
    Job running = new Job(id, job.spec(), JobState.RUNNING, 1, "running", job.createdAt(), now, null, metrics, job.owner());
    var round = new RoundSummary(id, 1, now, now, List.of(node), 1, 100, List.of(), metrics, metrics, null);
    services.store().completeRound(running, round, new Checkpoint(1, initial.parameters(), initial.strategyState()));
    Job completed = new Job(id, job.spec(), JobState.COMPLETED, 1, "", job.createdAt(), now, now, metrics, job.owner());
    services.store().updateJob(completed);
    return completed;
  }

  // ---- market fixtures: offers on the node published by the owner, demands and agreements of the data scientist ----

  private String offer() {
    return services.market().publishOffer(principals.get("owner"), new OfferTerms(node.value(), Map.of("fedgrid.inf.cpu.cores", 4), null, new Price("1", Map.of())))
        .id();
  }

  private String demand() throws Exception {
    return services.market().publishDemand(principals.get("data-scientist"),
        new DemandTerms(scientistsJob().id().value(), Map.of(), null, new Price("10", Map.of()), "100", Map.of())).id();
  }

  /** A fresh first proposal, issued by the requestor (the data scientist). */
  private String proposal() throws Exception {
    return services.market().propose(principals.get("data-scientist"), offer(), demand()).id();
  }

  /** A fresh agreement: 0 in PROPOSAL, 1 PENDING, 2 APPROVED with an allocation of 5 for its job. */
  private String agreement(int stage) throws Exception {
    Principal scientist = principals.get("data-scientist");
    AgreementView a = services.market().createAgreement(scientist, proposal(), Optional.empty(), Optional.empty());
    if (stage >= 1) services.market().confirm(scientist, a.id());
    if (stage >= 2) {
      services.market().approve(principals.get("owner"), a.id());
      fund();
      services.market().allocate(scientist, a.job(), "5");
    }
    return a.id();
  }

  /** A fresh activity (NEW) of the data scientist's under a fresh approved agreement. */
  private String activity() throws Exception {
    return services.activities().create(principals.get("data-scientist"), agreement(2)).id();
  }

  /** A fresh debit note of 1, or invoice of 0, issued under an approved agreement. */
  private String document(boolean debitNote) throws Exception {
    String agreement = agreement(2);
    return debitNote
        ? services.market().issueDebitNote(principals.get("owner"), agreement, "1", Optional.empty()).id()
        : services.market().issueInvoice(principals.get("owner"), agreement, "0", null).id();
  }

  /** Deposits 10 into the data scientist's ledger account. */
  private void fund() {
    services.market().deposit(principals.get("owner"), "user:" + userOf("data-scientist"), "10", Optional.empty(), "matrix");
  }

  /** A fresh pending budget request of the data scientist's for more epsilon on the private dataset. */
  private RequestId budgetRequest() {
    return services.budgets().request(principals.get("data-scientist"), heart, 1.0, "a study").id();
  }
}
