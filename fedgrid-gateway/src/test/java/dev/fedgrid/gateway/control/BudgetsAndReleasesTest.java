package dev.fedgrid.gateway.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.privacy.PrivacyMode;
import dev.fedgrid.core.dp.CentralDp;
import dev.fedgrid.core.dp.DpAccounting;
import dev.fedgrid.core.dp.LocalDp;
import dev.fedgrid.core.dp.RdpAccountant;
import dev.fedgrid.gateway.access.DatasetAccess;
import dev.fedgrid.gateway.access.IdentityService;
import dev.fedgrid.gateway.access.Passwords;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.audit.AuditQuery;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.gateway.json.Json;
import dev.fedgrid.gateway.privacy.BudgetAdmission;
import dev.fedgrid.gateway.privacy.PrivacyBudgets;
import dev.fedgrid.gateway.requests.ReleaseRequests;
import dev.fedgrid.gateway.state.Checkpoint;
import dev.fedgrid.gateway.state.NodeRecord;
import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.gateway.state.SqlStateStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Privacy budgets, budget requests and release requests over real HTTP: the control server on
 * loopback with the real coordinator, identity service, budgets, release requests and audit ledger
 * on SQLite. The coordinator is not started, so no job ever trains; where a test needs completed
 * rounds it records them through the state store exactly as the job runner does.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BudgetsAndReleasesTest {
  private static final CoordinatorOptions OPTIONS =
      new CoordinatorOptions(Duration.ofMillis(200), Duration.ofMillis(1500), Duration.ofMillis(500), Duration.ofMillis(50));
  private static final String PASSWORD = "correct horse battery staple";
  private static final DifferentialPrivacy Z11 = new DifferentialPrivacy(1.1, null, null, null, null, null);

  @TempDir Path dir;
  private SqlDatabase db;
  private SqlStateStore store;
  private AuditLog audit;
  private Coordinator coordinator;
  private ControlServer server;
  private HttpClient http;
  private NodeId node;
  private DatasetInfo heart;
  private DatasetInfo iris;
  private String owner;
  private String ana;
  private String bo;
  private String cleo;

  @BeforeEach
  void start() {
    Clock clock = Clock.systemUTC();
    db = SqlDatabase.sqlite(dir.resolve("gateway.db"));
    store = new SqlStateStore(db);
    audit = new AuditLog(db, clock);
    var identity = new IdentityService(db, audit, clock, new Passwords(64, 1, 1));
    owner = identity.bootstrap().orElseThrow().token();
    Principal boss = identity.authenticate(owner);
    for (String[] u : new String[][] {{"ana", "data-scientist"}, {"bo", "data-scientist"}, {"cleo", "compliance-officer"}}) {
      identity.createUser(boss, u[0], u[1], Optional.of(PASSWORD));
    }
    ana = identity.login("ana", PASSWORD, "127.0.0.1").token();
    bo = identity.login("bo", PASSWORD, "127.0.0.1").token();
    cleo = identity.login("cleo", PASSWORD, "127.0.0.1").token();

    Instant now = clock.instant();
    node = NodeId.random();
    store.putNode(new NodeRecord(node, "hospital-a", 4, 1024, "test", new byte[32], now, now));
    heart = store.putDataset(node, metadata("heart", Visibility.PRIVATE), now);
    iris = store.putDataset(node, metadata("iris", Visibility.PUBLIC), now);

    var budgets = new PrivacyBudgets(db, store, audit, clock);
    var releases = new ReleaseRequests(db, store, budgets, audit, new DatasetAccess(db, store, audit, clock)::mayDownloadResults, clock);
    coordinator = new Coordinator(store, audit, clock, OPTIONS, List.of(new BudgetAdmission(budgets)));
    server = ControlServer.builder(coordinator, identity).budgets(budgets).releases(releases).start();
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void stop() {
    http.close();
    server.close();
    coordinator.close();
    db.close();
  }

  // ---- budgets ----

  @Test
  void badBudgetsAreRefusedAndChangeNothing() throws Exception {
    String path = "/api/v1/budgets/ana/" + heart.id();
    for (String body : List.of(
        "{\"epsilon\": -1, \"delta\": 1e-5}", "{\"epsilon\": \"NaN\", \"delta\": 1e-5}", "{\"epsilon\": 1e999, \"delta\": 1e-5}",
        "{\"epsilon\": 1, \"delta\": 1.5}", "{\"epsilon\": 1, \"delta\": -1e-5}", "{\"epsilon\": 1}")) {
      HttpResponse<String> res = send(cleo, "PUT", path, body);
      assertThat(res.statusCode()).as(body).isEqualTo(400);
      assertThat(json(res).get("code").asText()).as(body).isEqualTo("INVALID_BUDGET");
    }
    assertThat(code(send(ana, "PUT", path, "{\"epsilon\": 100, \"delta\": 1e-5}"))).isEqualTo("PERMISSION_DENIED");
    assertThat(code(send(cleo, "PUT", "/api/v1/budgets/nobody/" + heart.id(), "{\"epsilon\": 1, \"delta\": 1e-5}"))).isEqualTo("USER_NOT_FOUND");
    assertThat(json(send(cleo, "GET", "/api/v1/budgets", null)).get("items")).isEmpty();
    assertThat(audit.events(AuditQuery.all(1000)).stream().filter(e -> e.action().equals("budget.set"))).isEmpty();

    HttpResponse<String> ok = send(cleo, "PUT", path, "{\"epsilon\": 8, \"delta\": 1e-5}");
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(json(ok).get("remaining").asDouble()).isEqualTo(8);
    assertThat(audit.events(AuditQuery.all(1000)).stream().filter(e -> e.action().equals("budget.set")).toList())
        .singleElement()
        .satisfies(e -> assertThat(e.actor()).isEqualTo("cleo"))
        .satisfies(e -> assertThat(e.details()).containsEntry("epsilon", "8.0").containsEntry("user", "ana"));
    // everyone sees their own budgets only; officers see all
    assertThat(json(send(ana, "GET", "/api/v1/budgets", null)).get("items")).hasSize(1);
    assertThat(json(send(bo, "GET", "/api/v1/budgets", null)).get("items")).isEmpty();
    assertThat(code(send(bo, "GET", "/api/v1/budgets?user=ana", null))).isEqualTo("PERMISSION_DENIED");
    assertThat(json(send(cleo, "GET", "/api/v1/budgets?user=ana&dataset=" + heart.id(), null)).get("items")).hasSize(1);
  }

  @Test
  void aDpJobThatExceedsTheRemainingBudgetIsRefusedBeforeTraining() throws Exception {
    setBudget("ana", 5, 1e-5);
    double planned = CentralDp.epsilon(Z11, 4);
    HttpResponse<String> refused = send(ana, "POST", "/api/v1/jobs", dpJob("heart", 4, null));
    assertThat(refused.statusCode()).isEqualTo(403);
    JsonNode error = json(refused);
    assertThat(error.get("code").asText()).isEqualTo("PRIVACY_BUDGET_EXCEEDED");
    assertThat(error.get("message").asText()).contains("ana", heart.id().value(), "9.55", "5.000");
    assertThat(error.at("/details/plannedEpsilon").asDouble()).isCloseTo(planned, within(1e-9));
    assertThat(error.at("/details/remainingEpsilon").asDouble()).isEqualTo(5);
    assertThat(error.at("/details/budgetEpsilon").asDouble()).isEqualTo(5);
    assertThat(error.at("/details/dataset").asText()).isEqualTo(heart.id().value());
    assertThat(error.at("/details/user").asText()).isEqualTo("ana");
    assertThat(store.jobs(List.of(), Optional.empty(), 10)).isEmpty(); // never stored, so never trained
    assertThat(audit.events(AuditQuery.all(1000)).stream().filter(e -> e.action().equals("job.refused"))).hasSize(1);

    // one round fits (4.24 of 5) and is reserved at once
    assertThat(send(ana, "POST", "/api/v1/jobs", dpJob("heart", 1, null)).statusCode()).isEqualTo(201);
    JsonNode budget = json(send(ana, "GET", "/api/v1/budgets", null)).get("items").get(0);
    assertThat(budget.get("reserved").asDouble()).isCloseTo(CentralDp.epsilon(Z11, 1), within(1e-9));
    assertThat(budget.get("remaining").asDouble()).isCloseTo(5 - CentralDp.epsilon(Z11, 1), within(1e-9));
    // no budget at all is a budget of 0; a delta above the budget's is refused too
    assertThat(code(send(bo, "POST", "/api/v1/jobs", dpJob("heart", 1, null)))).isEqualTo("PRIVACY_BUDGET_EXCEEDED");
    setBudget("bo", 100, 1e-6);
    HttpResponse<String> delta = send(bo, "POST", "/api/v1/jobs", dpJob("heart", 1, null));
    assertThat(code(delta)).isEqualTo("PRIVACY_BUDGET_EXCEEDED");
    assertThat(json(delta).at("/details/budgetDelta").asDouble()).isEqualTo(1e-6);
    // public data needs no budget
    assertThat(send(bo, "POST", "/api/v1/jobs", dpJob("iris", 10, null)).statusCode()).isEqualTo(201);
  }

  @Test
  void aSampledJobReservesTheSmallerSubsampledEpsilonAndALocalJobItsPerNodeEpsilon() throws Exception {
    setBudget("ana", 5, 1e-5);
    // all nodes in every round: 9.55 for 4 rounds does not fit; sampled with q = 0.1 it does
    assertThat(code(send(ana, "POST", "/api/v1/jobs", dpJob("heart", 4, null)))).isEqualTo("PRIVACY_BUDGET_EXCEEDED");
    String sampled = dpJob("heart", 4, null).replace("\"minNodes\": 1,", "\"minNodes\": 1, \"sampleFraction\": 0.1,");
    JobId job = submit(ana, sampled);
    double expected = RdpAccountant.withDefaultOrders().compose(1.1, 0.1, 4).epsilon(1e-5).epsilon();
    assertThat(expected).isLessThan(CentralDp.epsilon(Z11, 4));
    assertThat(store.job(job).orElseThrow().spec().sampleFraction()).isEqualTo(0.1);
    JsonNode budget = json(send(ana, "GET", "/api/v1/budgets", null)).get("items").get(0);
    assertThat(budget.get("reserved").asDouble()).isCloseTo(expected, within(1e-9));
    assertThat(budget.get("reserved").asDouble()).isCloseTo(DpAccounting.epsilon(store.job(job).orElseThrow().spec(), 4), within(1e-12));

    // local DP: no amplification by the gateway's sampling, the Gaussian mechanism of sensitivity 2C per round
    setBudget("ana", 1000, 1e-5);
    double before = json(send(ana, "GET", "/api/v1/budgets", null)).get("items").get(0).get("reserved").asDouble();
    String local = dpJob("heart", 2, null).replace("\"noiseMultiplier\": 1.1", "\"noiseMultiplier\": 8, \"mode\": \"local\"")
        .replace("\"minNodes\": 1,", "\"minNodes\": 1, \"sampleFraction\": 0.5,");
    JobId localJob = submit(ana, local);
    assertThat(store.job(localJob).orElseThrow().spec().privacy().mode()).isEqualTo(PrivacyMode.LOCAL);
    double after = json(send(ana, "GET", "/api/v1/budgets", null)).get("items").get(0).get("reserved").asDouble();
    assertThat(after - before).isCloseTo(LocalDp.spent(DifferentialPrivacy.local(8, 1.0), 2).epsilon(), within(1e-9));
    assertThat(code(send(ana, "POST", "/api/v1/jobs", dpJob("heart", 1, null).replace("\"minNodes\": 1,", "\"minNodes\": 1, \"sampleFraction\": 0,"))))
        .isEqualTo("INVALID_SAMPLE_FRACTION");
  }

  @Test
  void concurrentSubmissionsNeverOverspend() throws Exception {
    setBudget("ana", 10, 1e-5); // each job plans 4.24: two fit, a third does not
    int threads = 8;
    var ready = new CountDownLatch(threads);
    var results = new ArrayList<Future<Integer>>();
    try (var pool = Executors.newFixedThreadPool(threads)) {
      for (int i = 0; i < threads; i++) {
        results.add(pool.submit((Callable<Integer>) () -> {
          ready.countDown();
          ready.await();
          return send(ana, "POST", "/api/v1/jobs", dpJob("heart", 1, null)).statusCode();
        }));
      }
      var codes = new ArrayList<Integer>();
      for (Future<Integer> f : results) codes.add(f.get());
      assertThat(codes.stream().filter(c -> c == 201)).hasSize(2);
      assertThat(codes.stream().filter(c -> c == 403)).hasSize(threads - 2);
    }
    JsonNode budget = json(send(ana, "GET", "/api/v1/budgets", null)).get("items").get(0);
    assertThat(budget.get("reserved").asDouble()).isCloseTo(2 * CentralDp.epsilon(Z11, 1), within(1e-9));
    assertThat(budget.get("remaining").asDouble()).isGreaterThanOrEqualTo(0);
  }

  @Test
  void spendingIsRecordedPerRoundAndACancelledJobKeepsOnlyWhatItsRoundsSpent() throws Exception {
    setBudget("ana", 20, 1e-5);
    JobId id = submit(ana, dpJob("heart", 4, null));
    completeRound(id, Map.of("loss", 0.5), false);
    JsonNode running = json(send(ana, "GET", "/api/v1/budgets", null)).get("items").get(0);
    double one = CentralDp.epsilon(Z11, 1);
    assertThat(running.get("spent").asDouble()).isCloseTo(one, within(1e-12));
    assertThat(running.get("reserved").asDouble()).isCloseTo(CentralDp.epsilon(Z11, 4) - one, within(1e-9));

    assertThat(send(ana, "POST", "/api/v1/jobs/" + id + "/cancel", null).statusCode()).isEqualTo(200);
    JsonNode after = json(send(ana, "GET", "/api/v1/budgets", null)).get("items").get(0);
    assertThat(after.get("spent").asDouble()).isCloseTo(one, within(1e-12));
    assertThat(after.get("reserved").asDouble()).isZero();
    assertThat(after.get("remaining").asDouble()).isCloseTo(20 - one, within(1e-9));
    // deleting the finished job does not give its epsilon back
    assertThat(send(ana, "DELETE", "/api/v1/jobs/" + id, null).statusCode()).isEqualTo(204);
    assertThat(json(send(ana, "GET", "/api/v1/budgets", null)).at("/items/0/spent").asDouble()).isCloseTo(one, within(1e-12));
  }

  // ---- budget requests ----

  @Test
  void budgetRequestsRaiseTheBudgetWhenApprovedAndDenialsAreFinal() throws Exception {
    setBudget("ana", 1, 1e-5);
    JsonNode filed = json(send(ana, "POST", "/api/v1/budget-requests", "{\"dataset\": \"" + heart.id() + "\", \"epsilon\": 4, \"reason\": \"one more study\"}"));
    assertThat(filed.get("state").asText()).isEqualTo("pending");
    String id = filed.get("id").asText();
    assertThat(code(send(ana, "POST", "/api/v1/budget-requests/" + id + "/approve", "{}"))).isEqualTo("PERMISSION_DENIED");
    assertThat(json(send(bo, "GET", "/api/v1/budget-requests", null)).get("items")).isEmpty();
    assertThat(json(send(cleo, "GET", "/api/v1/budget-requests?state=pending", null)).get("items")).hasSize(1);

    JsonNode approved = json(send(cleo, "POST", "/api/v1/budget-requests/" + id + "/approve", "{\"comment\": \"ok for the study\"}"));
    assertThat(approved.get("state").asText()).isEqualTo("approved");
    assertThat(json(send(ana, "GET", "/api/v1/budgets", null)).at("/items/0/epsilon").asDouble()).isEqualTo(5);

    String second = json(send(ana, "POST", "/api/v1/budget-requests", "{\"dataset\": \"" + heart.id() + "\", \"epsilon\": 50, \"reason\": \"more\"}")).get("id").asText();
    assertThat(code(send(cleo, "POST", "/api/v1/budget-requests/" + second + "/deny", "{}"))).isEqualTo("INVALID_FIELD"); // a denial says why
    assertThat(json(send(cleo, "POST", "/api/v1/budget-requests/" + second + "/deny", "{\"comment\": \"too much\"}")).get("state").asText()).isEqualTo("denied");
    HttpResponse<String> late = send(cleo, "POST", "/api/v1/budget-requests/" + second + "/approve", "{}");
    assertThat(late.statusCode()).isEqualTo(409);
    assertThat(code(late)).isEqualTo("REQUEST_DECIDED");
    assertThat(json(send(ana, "GET", "/api/v1/budgets", null)).at("/items/0/epsilon").asDouble()).isEqualTo(5);
    assertThat(code(send(ana, "POST", "/api/v1/budget-requests", "{\"dataset\": \"" + heart.id() + "\", \"epsilon\": -3, \"reason\": \"x\"}")))
        .isEqualTo("INVALID_BUDGET_REQUEST");

    // nobody decides their own request, whatever their permissions
    String own = json(send(owner, "POST", "/api/v1/budget-requests", "{\"dataset\": \"" + heart.id() + "\", \"epsilon\": 1, \"reason\": \"mine\"}")).get("id").asText();
    assertThat(code(send(owner, "POST", "/api/v1/budget-requests/" + own + "/approve", "{}"))).isEqualTo("SELF_APPROVAL");
    assertThat(audit.events(AuditQuery.all(1000)).stream().map(e -> e.action()).filter(a -> a.startsWith("budget.")).toList())
        .containsExactly("budget.set", "budget.requested", "budget.approved", "budget.requested", "budget.denied", "budget.requested");
  }

  // ---- release requests ----

  @Test
  void aPrivateJobsModelIsHeldUntilAnOfficerApprovesAndADenialStaysDenied() throws Exception {
    JobId id = submit(ana, plainJob("heart"));
    completeRound(id, Map.of("loss", 0.4, "accuracy", 0.8, "auc", 0.9), true);

    HttpResponse<String> held = send(ana, "GET", "/api/v1/jobs/" + id + "/model", null);
    assertThat(held.statusCode()).isEqualTo(403);
    assertThat(code(held)).isEqualTo("RELEASE_REQUIRED");
    assertThat(code(send(ana, "GET", "/api/v1/jobs/" + id + "/model/spec", null))).isEqualTo("RELEASE_REQUIRED");
    assertThat(json(send(ana, "GET", "/api/v1/jobs/" + id, null)).get("metrics").properties().stream().map(Map.Entry::getKey).toList())
        .containsExactlyInAnyOrder("loss", "accuracy"); // auc is held
    assertThat(json(send(ana, "GET", "/api/v1/jobs/" + id + "/rounds", null)).at("/items/0/evalMetrics").has("auc")).isFalse();

    // only the owner files; others do not even see the job
    assertThat(code(send(bo, "POST", "/api/v1/jobs/" + id + "/release-requests", "{\"reason\": \"mine now\"}"))).isEqualTo("JOB_NOT_FOUND");
    String first = json(send(ana, "POST", "/api/v1/jobs/" + id + "/release-requests", "{\"reason\": \"paper submission\"}")).get("id").asText();
    assertThat(code(send(ana, "POST", "/api/v1/jobs/" + id + "/release-requests", "{\"reason\": \"again\"}"))).isEqualTo("REQUEST_PENDING");
    assertThat(code(send(bo, "GET", "/api/v1/release-requests/" + first, null))).isEqualTo("REQUEST_NOT_FOUND");
    assertThat(code(send(ana, "POST", "/api/v1/release-requests/" + first + "/approve", "{}"))).isEqualTo("PERMISSION_DENIED");

    JsonNode denied = json(send(cleo, "POST", "/api/v1/release-requests/" + first + "/deny", "{\"comment\": \"aggregate only, please\"}"));
    assertThat(denied.get("state").asText()).isEqualTo("denied");
    assertThat(code(send(cleo, "POST", "/api/v1/release-requests/" + first + "/approve", "{}"))).isEqualTo("REQUEST_DECIDED");
    assertThat(json(send(cleo, "GET", "/api/v1/release-requests/" + first, null)).at("/request/state").asText()).isEqualTo("denied");
    assertThat(code(send(ana, "GET", "/api/v1/jobs/" + id + "/model", null))).isEqualTo("RELEASE_REQUIRED");

    // a new request can be filed, and the officer sees everything needed to decide it
    String second = json(send(ana, "POST", "/api/v1/jobs/" + id + "/release-requests", "{\"reason\": \"revised\"}")).get("id").asText();
    JsonNode review = json(send(cleo, "GET", "/api/v1/release-requests/" + second, null));
    assertThat(review.at("/request/reason").asText()).isEqualTo("revised");
    assertThat(review.at("/job/id").asText()).isEqualTo(id.value());
    assertThat(review.at("/job/state").asText()).isEqualTo("completed");
    assertThat(review.at("/job/completedRounds").asInt()).isEqualTo(1);
    assertThat(review.at("/job/metrics/auc").asDouble()).isEqualTo(0.9);
    assertThat(review.at("/datasets/0/visibility").asText()).isEqualTo("private");
    assertThat(review.at("/differentialPrivacy").asBoolean()).isFalse();
    assertThat(review.at("/history/0/id").asText()).isEqualTo(first);
    assertThat(review.at("/history/0/state").asText()).isEqualTo("denied");
    assertThat(json(send(cleo, "GET", "/api/v1/release-requests?state=pending", null)).get("items")).hasSize(1);

    assertThat(json(send(cleo, "POST", "/api/v1/release-requests/" + second + "/approve", "{\"comment\": \"fine\"}")).get("state").asText()).isEqualTo("approved");
    HttpResponse<byte[]> model = http.send(request(ana, "GET", "/api/v1/jobs/" + id + "/model", null).build(), BodyHandlers.ofByteArray());
    assertThat(model.statusCode()).isEqualTo(200);
    assertThat(model.body()).isNotEmpty();
    assertThat(json(send(ana, "GET", "/api/v1/jobs/" + id, null)).at("/metrics/auc").asDouble()).isEqualTo(0.9);
    assertThat(audit.events(AuditQuery.all(1000)).stream().map(e -> e.action()).filter(a -> a.startsWith("release.") || a.contains("download")).toList())
        .containsSubsequence("download.refused", "release.requested", "release.denied", "release.requested", "release.approved", "model.downloaded");
  }

  @Test
  void officersCannotApproveTheirOwnReleaseRequests() throws Exception {
    JobId id = submit(owner, plainJob("heart"));
    completeRound(id, Map.of("loss", 0.4), true);
    String own = json(send(owner, "POST", "/api/v1/jobs/" + id + "/release-requests", "{\"reason\": \"mine\"}")).get("id").asText();
    HttpResponse<String> self = send(owner, "POST", "/api/v1/release-requests/" + own + "/approve", "{}");
    assertThat(self.statusCode()).isEqualTo(403);
    assertThat(code(self)).isEqualTo("SELF_APPROVAL");
  }

  @Test
  void jobsOnPublicDataOnlyAreReleasedAutomatically() throws Exception {
    JobId id = submit(ana, plainJob("iris"));
    completeRound(id, Map.of("loss", 0.4, "auc", 0.7), true);
    assertThat(send(ana, "GET", "/api/v1/jobs/" + id + "/model", null).statusCode()).isEqualTo(200);
    assertThat(send(ana, "GET", "/api/v1/jobs/" + id + "/model", null).statusCode()).isEqualTo(200);
    assertThat(json(send(ana, "GET", "/api/v1/jobs/" + id, null)).at("/metrics/auc").asDouble()).isEqualTo(0.7);
    assertThat(code(send(ana, "POST", "/api/v1/jobs/" + id + "/release-requests", "{\"reason\": \"x\"}"))).isEqualTo("RELEASE_NOT_NEEDED");
    assertThat(audit.events(AuditQuery.all(1000)).stream().filter(e -> e.action().equals("release.automatic")).toList())
        .singleElement()
        .satisfies(e -> assertThat(e.target()).isEqualTo(id.value()));
  }

  // ---- helpers ----

  private static DatasetMetadata metadata(String name, Visibility visibility) {
    return new DatasetMetadata(name, DatasetFormat.CSV, List.of(3), List.of(), LabelInfo.categorical("y", List.of(60L, 40L)), 100, 20, List.of(), visibility);
  }

  private static String dpJob(String dataset, int rounds, Double delta) {
    return "{\"name\": \"dp\", \"datasets\": [\"" + dataset + "\"], \"model\": {\"layers\": [{\"type\": \"dense\", \"units\": 1}], \"loss\": \"binary_cross_entropy\"},"
        + " \"rounds\": " + rounds + ", \"minNodes\": 1, \"standardize\": false, \"privacy\": {\"noiseMultiplier\": 1.1"
        + (delta == null ? "" : ", \"delta\": " + delta) + "}}";
  }

  private static String plainJob(String dataset) {
    return "{\"name\": \"plain\", \"datasets\": [\"" + dataset + "\"], \"model\": {\"layers\": [{\"type\": \"dense\", \"units\": 1}], \"loss\": \"binary_cross_entropy\"},"
        + " \"rounds\": 3, \"minNodes\": 1, \"standardize\": false}";
  }

  private JobId submit(String token, String spec) throws Exception {
    HttpResponse<String> res = send(token, "POST", "/api/v1/jobs", spec);
    assertThat(res.statusCode()).as(res.body()).isEqualTo(201);
    return JobId.of(json(res).get("id").asText());
  }

  private void setBudget(String user, double epsilon, double delta) throws Exception {
    HttpResponse<String> res = send(cleo, "PUT", "/api/v1/budgets/" + user + "/" + heart.id(), "{\"epsilon\": " + epsilon + ", \"delta\": " + delta + "}");
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
  }

  /** Records the job's next round (and optionally finishes it) as the job runner would. */
  private void completeRound(JobId id, Map<String, Double> metrics, boolean finish) {
    Job job = store.job(id).orElseThrow();
    Checkpoint initial = store.latestCheckpoint(id).orElseThrow();
    int round = job.completedRounds() + 1;
    Instant now = Instant.now();
    Double epsilon = job.spec().privacy() == null ? null : CentralDp.epsilon(job.spec().privacy(), round);
    Job running = new Job(id, job.spec(), JobState.RUNNING, round, "running", job.createdAt(), now, null, metrics, job.owner());
    var summary = new RoundSummary(id, round, now, now, List.of(node), 1, 100, List.of(), metrics, metrics, epsilon);
    store.completeRound(running, summary, new Checkpoint(round, initial.parameters(), initial.strategyState()));
    if (finish) store.updateJob(new Job(id, job.spec(), JobState.COMPLETED, round, "", job.createdAt(), now, now, metrics, job.owner()));
  }

  private HttpRequest.Builder request(String token, String method, String path, String body) {
    var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + token);
    return b.method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body)).header("Content-Type", "application/json");
  }

  private HttpResponse<String> send(String token, String method, String path, String body) throws Exception {
    return http.send(request(token, method, path, body).build(), BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> res) throws Exception {
    return Json.mapper().readTree(res.body());
  }

  private static String code(HttpResponse<String> res) throws Exception {
    return json(res).path("code").asText("(status " + res.statusCode() + ": " + res.body() + ")");
  }
}
