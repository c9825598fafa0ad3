package dev.fedgrid.gateway.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
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
import dev.fedgrid.gateway.fleet.ActivityBackend.CommandReport;
import dev.fedgrid.gateway.fleet.ActivityBackend.LogEntry;
import dev.fedgrid.gateway.fleet.ActivityBackend.ScriptAssignment;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.gateway.json.Json;
import dev.fedgrid.gateway.state.NodeRecord;
import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.market.ActivityLogTemplate;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Activities over real HTTP, wired as the gateway wires them, with the node's side played through
 * the same {@link dev.fedgrid.gateway.fleet.ActivityBackend} the activity gRPC service calls (the
 * node daemon's own end-to-end run is {@code ActivityEndToEndTest} in fedgrid-node): scripts that
 * are malformed or impossible are refused naming the command's index and change nothing; results
 * move the activity by the table; log lines outside the templates are dropped; an activity ends
 * with its agreement.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ActivityApiTest {
  private static final String PASSWORD = "correct horse battery staple";
  private static final CoordinatorOptions OPTIONS =
      new CoordinatorOptions(Duration.ofMillis(200), Duration.ofMillis(1500), Duration.ofMillis(500), Duration.ofMillis(50));
  private static final String MODEL = "{\"layers\": [{\"type\": \"dense\", \"units\": 1}], \"loss\": \"binary_cross_entropy\"}";

  private Path dir;
  private SqlDatabase db;
  private GatewayServices services;
  private Coordinator coordinator;
  private ControlServer server;
  private HttpClient http;
  private String owner;
  private String ana;
  private String bo;
  private Principal boss;
  private Principal anaPrincipal;
  private NodeId node;
  private NodeId otherNode;
  private DatasetId dataset;
  private DatasetId elsewhere;
  private DatasetId secret;
  private final java.util.concurrent.atomic.AtomicReference<Duration> ahead = new java.util.concurrent.atomic.AtomicReference<>(Duration.ZERO);

  @BeforeEach
  void start(@org.junit.jupiter.api.io.TempDir Path dir) {
    this.dir = dir;
    Clock clock = new Clock() { // the system clock, moved forward by tests that need a deadline to pass
      @Override
      public java.time.ZoneId getZone() {
        return java.time.ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return Instant.now().plus(ahead.get());
      }
    };
    db = SqlDatabase.sqlite(dir.resolve("gateway.db"));
    services = GatewayServices.of(db, clock, TestIdentity.FAST);
    coordinator = services.coordinator(OPTIONS);
    owner = services.identity().bootstrap().orElseThrow().token();
    boss = services.identity().authenticate(owner);
    for (String name : List.of("ana", "bo")) services.identity().createUser(boss, name, "data-scientist", Optional.of(PASSWORD));
    ana = services.identity().login("ana", PASSWORD, "127.0.0.1").token();
    bo = services.identity().login("bo", PASSWORD, "127.0.0.1").token();
    anaPrincipal = services.identity().authenticate(ana);
    Instant now = clock.instant();
    node = NodeId.random();
    otherNode = NodeId.random();
    services.store().putNode(new NodeRecord(node, "hospital-a", 8, 16384, "test", new byte[32], now, now));
    services.store().putNode(new NodeRecord(otherNode, "hospital-b", 8, 16384, "test", new byte[32], now, now));
    var columns = List.of(new ColumnStats("x0", 100, 1.0, 2.0));
    var metadata = new DatasetMetadata("cancer", DatasetFormat.CSV, List.of(1), columns, LabelInfo.categorical("y", List.of(50L, 50L)), 100, 10, List.of(), Visibility.PUBLIC);
    dataset = services.store().putDataset(node, metadata, now).id();
    elsewhere = services.store().putDataset(otherNode, metadata, now).id();
    var hidden = new DatasetMetadata("heart", DatasetFormat.CSV, List.of(1), columns, LabelInfo.categorical("y", List.of(50L, 50L)), 100, 10, List.of(), Visibility.PRIVATE);
    secret = services.store().putDataset(node, hidden, now).id();
    // ana may train on the private dataset, but not take its results out without a release
    services.datasets().grant(boss, secret, "ana", true, false);
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
  void badScriptsAreRefusedNamingTheIndexAndChangeNothing() throws Exception {
    String activity = activity(agreement());
    long before = services.audit().events(AuditQuery.all(1000)).size();
    String deploy = "{\"deploy\": {\"model\": " + MODEL + ", \"dataset\": \"" + dataset + "\"}}";

    assertRefused(exec(activity, "[" + deploy + ", {\"fly\": {}}]"), 400, "INVALID_COMMAND", 1, "unknown command 'fly'");
    assertRefused(exec(activity, "[" + deploy + ", {\"start\": {}}, {\"run\": {\"kind\": \"dance\"}}]"), 400, "INVALID_COMMAND", 2, "'kind' is one of fit, evaluate");
    assertRefused(exec(activity, "[" + deploy + ", {\"start\": {}}, {\"run\": {\"kind\": \"fit\", \"epochs\": 0}}]"), 400, "INVALID_COMMAND", 2, "epochs must be in [1, 1000]");
    assertRefused(exec(activity, "[{\"start\": {\"now\": true}}]"), 400, "INVALID_COMMAND", 0, "unknown argument 'now'; it takes none");
    assertRefused(exec(activity, "[{\"transfer\": {\"from\": \"gateway\", \"to\": \"job\"}}]"), 400, "INVALID_COMMAND", 0, "not supported");
    assertRefused(exec(activity, "[{\"deploy\": {\"model\": " + MODEL + ", \"dataset\": \"" + elsewhere + "\"}}]"), 400, "INVALID_COMMAND", 0,
        "is not hosted by node " + node);
    assertRefused(exec(activity, "[{\"deploy\": {\"model\": " + MODEL + ", \"dataset\": \"" + secret + "\"}}]"), 403, "DATASET_ACCESS_DENIED", 0,
        "needs a grant to process the dataset and to download its results");
    assertRefused(exec(activity, "[{\"deploy\": {\"model\": {\"layers\": []}, \"dataset\": \"" + dataset + "\"}}]"), 400, "INVALID_COMMAND", 0, "'model'");
    assertRefused(exec(activity, "[" + deploy + ", {\"run\": {\"kind\": \"fit\"}}]"), 409, "ACTIVITY_STATE_CONFLICT", 1, "command 1 (run) is not allowed when the activity is DEPLOYED");
    assertThat(code(exec(activity, "{\"deploy\": {}}"))).isEqualTo("INVALID_SCRIPT");
    assertThat(code(exec(activity, "[]"))).isEqualTo("INVALID_SCRIPT");
    // someone else may not see it; the owner sees it (settings) but is not its requestor
    assertThat(code(send(bo, "POST", "/api/v1/activities/" + activity + "/exec", "{\"commands\": [" + deploy + "]}"))).isEqualTo("ACTIVITY_NOT_FOUND");
    assertThat(code(send(owner, "POST", "/api/v1/activities/" + activity + "/exec", "{\"commands\": [" + deploy + "]}"))).isEqualTo("NOT_JOB_OWNER");

    JsonNode unchanged = json(send(ana, "GET", "/api/v1/activities/" + activity, null));
    assertThat(unchanged.get("state").asText()).isEqualTo("NEW");
    assertThat(unchanged.get("batches")).isEmpty();
    assertThat(services.audit().events(AuditQuery.all(1000)).size()).isEqualTo(before);
    assertThat(services.activities().pollScript(node, Duration.ZERO)).isEmpty();
  }

  @Test
  void resultsMoveTheActivityAndOnlyTemplatedLogLinesAreKept() throws Exception {
    String activity = activity(agreement());
    String script = "[{\"deploy\": {\"model\": " + MODEL + ", \"dataset\": \"" + dataset + "\", \"parameters\": \"job\"}}, {\"start\": {}},"
        + " {\"run\": {\"kind\": \"fit\", \"epochs\": 2}}, {\"terminate\": {}}]";
    HttpResponse<String> queued = exec(activity, script);
    assertThat(queued.statusCode()).as(queued.body()).isEqualTo(202);
    String batch = json(queued).get("id").asText();
    assertThat(queued.headers().firstValue("Location")).contains("/api/v1/activities/" + activity + "/batches/" + batch);
    assertThat(json(queued).at("/commands/2/run/epochs").asInt()).isEqualTo(2);
    assertThat(json(queued).at("/commands/2/run/batchSize").asInt()).isEqualTo(32); // defaults filled in
    assertThat(code(exec(activity, "[{\"terminate\": {}}]"))).isEqualTo("ACTIVITY_BUSY");

    // another node cannot see the script; its own node gets it once
    assertThat(services.activities().pollScript(otherNode, Duration.ZERO)).isEmpty();
    ScriptAssignment s = services.activities().pollScript(node, Duration.ofSeconds(1)).orElseThrow();
    assertThat(s.batchId()).isEqualTo(batch);
    assertThat(s.script().commands()).hasSize(4);
    assertThat(services.activities().pollScript(node, Duration.ZERO)).isEmpty();
    assertThat(services.activities().jobParameters(node, activity, batch, 0)).isNotEmpty();
    assertThatThrownBy(() -> services.activities().jobParameters(node, activity, batch, 1)).hasMessageContaining("loads no job parameters");
    assertThatThrownBy(() -> services.activities().jobParameters(otherNode, activity, batch, 0)).isInstanceOf(NotFoundException.class);

    String digest = "ab".repeat(32);
    var logs = List.of(new LogEntry(ActivityLogTemplate.DEPLOYED.ordinal(), List.of(2.0, 1.0), null), new LogEntry(999, List.of(), null),
        new LogEntry(ActivityLogTemplate.STARTED.ordinal(), List.of(1.0), null));
    assertThat(services.activities().report(node, new CommandReport(activity, batch, 0, true, "deployed", Map.of("parameters", 2.0), digest, logs))).isTrue();
    // a repeat, a result out of order, a NaN, a wrong node: refused, nothing stored
    assertThatThrownBy(() -> services.activities().report(node, report(activity, batch, 0, true, Map.of())))
        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo("RESULT_ALREADY_REPORTED"));
    assertThatThrownBy(() -> services.activities().report(node, report(activity, batch, 2, true, Map.of())))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("RESULT_OUT_OF_ORDER"));
    assertThatThrownBy(() -> services.activities().report(node, report(activity, batch, 1, true, Map.of("loss", Double.NaN))))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_RESULT"));
    assertThatThrownBy(() -> services.activities().report(otherNode, report(activity, batch, 1, true, Map.of()))).isInstanceOf(NotFoundException.class);
    assertThat(json(send(ana, "GET", "/api/v1/activities/" + activity, null)).get("state").asText()).isEqualTo("DEPLOYED");

    assertThat(services.activities().report(node, report(activity, batch, 1, true, Map.of("trainExamples", 80.0)))).isTrue();
    assertThat(services.activities().report(node, report(activity, batch, 2, false, Map.of()))).isFalse(); // the run failed: the script stops
    JsonNode done = json(send(ana, "GET", "/api/v1/activities/" + activity + "/batches/" + batch, null));
    assertThat(done.get("state").asText()).isEqualTo("failed");
    assertThat(done.get("results")).hasSize(3);
    assertThat(done.at("/results/0/result").asText()).isEqualTo("ok");
    assertThat(done.at("/results/0/data/parametersDigest").asText()).isEqualTo(digest);
    assertThat(done.at("/results/0/data/parameters").asDouble()).isEqualTo(2.0);
    assertThat(done.at("/results/2/result").asText()).isEqualTo("error");
    JsonNode shown = json(send(ana, "GET", "/api/v1/activities/" + activity, null));
    assertThat(shown.get("state").asText()).as("a failed command does not move the activity").isEqualTo("READY");
    List<String> lines = json(send(ana, "GET", "/api/v1/activities/" + activity + "/logs", null)).get("items").findValuesAsText("line");
    assertThat(lines).containsExactly("deployed a model of 2 parameters for 1 features", "(gateway) 2 log line(s) dropped: not an allowed template");
    assertThat(json(send(ana, "GET", "/api/v1/activities/" + activity + "/logs?from=1", null)).get("items")).hasSize(1);
    assertThat(code(send(ana, "GET", "/api/v1/activities/" + activity + "/logs?from=x", null))).isEqualTo("INVALID_FIELD");
    assertThat(json(send(owner, "GET", "/api/v1/activities?agreement=" + shown.get("agreement").asText(), null)).get("items")).hasSize(1);
    assertThat(json(send(bo, "GET", "/api/v1/activities", null)).get("items")).isEmpty();
  }

  @Test
  void anActivityEndsWithItsAgreementAndNoneStartsUnderATerminatedOne() throws Exception {
    String agreement = agreement();
    String activity = activity(agreement);
    String batch = json(exec(activity, "[{\"deploy\": {\"model\": " + MODEL + ", \"dataset\": \"" + dataset + "\"}}]")).get("id").asText();
    assertThat(send(ana, "POST", "/api/v1/agreements/" + agreement + "/terminate", "{\"reason\": \"done with it\"}").statusCode()).isEqualTo(200);
    assertThat(services.activities().pollScript(node, Duration.ZERO)).as("no script of a terminated agreement reaches the node").isEmpty();

    JsonNode ended = json(send(ana, "GET", "/api/v1/activities/" + activity, null));
    assertThat(ended.get("state").asText()).isEqualTo("TERMINATED");
    assertThat(ended.get("reason").asText()).isEqualTo("agreement " + agreement + " is TERMINATED");
    assertThat(json(send(ana, "GET", "/api/v1/activities/" + activity + "/batches/" + batch, null)).get("state").asText()).isEqualTo("cancelled");
    assertThat(services.audit().events(AuditQuery.all(1000)).stream().map(AuditEvent::action)).contains("activity.terminated");

    HttpResponse<String> again = exec(activity, "[{\"terminate\": {}}]");
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(code(again)).isEqualTo("ACTIVITY_TERMINATED");
    HttpResponse<String> fresh = send(ana, "POST", "/api/v1/activities", "{\"agreement\": \"" + agreement + "\"}");
    assertThat(fresh.statusCode()).isEqualTo(409);
    assertThat(code(fresh)).isEqualTo("AGREEMENT_NOT_APPROVED");
    assertThat(json(send(ana, "GET", "/api/v1/activities", null)).get("items")).hasSize(1);
    assertThat(code(send(ana, "POST", "/api/v1/activities/" + activity + "/terminate", "{\"reason\": \"x\"}"))).isEqualTo("ACTIVITY_TERMINATED");
  }

  @Test
  void theRequestorTerminatesAnActivityAndItsRunningScriptStops() throws Exception {
    String activity = activity(agreement());
    String batch = json(exec(activity, "[{\"deploy\": {\"model\": " + MODEL + ", \"dataset\": \"" + dataset + "\"}}, {\"terminate\": {}}]")).get("id").asText();
    services.activities().pollScript(node, Duration.ofSeconds(1)).orElseThrow();
    JsonNode ended = json(send(ana, "POST", "/api/v1/activities/" + activity + "/terminate", "{\"reason\": \"enough\"}"));
    assertThat(ended.get("state").asText()).isEqualTo("TERMINATED");
    assertThat(ended.get("reason").asText()).isEqualTo("enough");
    assertThat(services.activities().report(node, report(activity, batch, 0, true, Map.of()))).as("the node is told to stop").isFalse();
    assertThat(json(send(ana, "GET", "/api/v1/activities/" + activity + "/batches/" + batch, null)).get("results")).isEmpty();
  }

  @Test
  void aScriptsUsageIsMeteredValidatedAndBilledAtTheAgreedPrice() throws Exception {
    String price = "{\"fixed\": \"0.5\", \"perUnit\": {\"examples_epochs\": \"0.01\", \"cpu_seconds\": \"0.1\", \"bytes\": \"0.00001\"}}";
    String agreement = agreement(price, "100");
    String activity = activity(agreement);
    String batch = json(exec(activity, "[{\"deploy\": {\"model\": " + MODEL + ", \"dataset\": \"" + dataset + "\", \"parameters\": \"job\"}}, {\"start\": {}},"
        + " {\"run\": {\"kind\": \"fit\", \"epochs\": 2}}, {\"terminate\": {}}]")).get("id").asText();
    services.activities().pollScript(node, Duration.ofSeconds(1)).orElseThrow();
    long streamed = services.activities().jobParameters(node, activity, batch, 0).length;
    assertThat(services.activities().report(node, report(activity, batch, 0, true, Map.of("parameters", 2.0)))).isTrue();
    assertThat(services.activities().report(node, report(activity, batch, 1, true, Map.of("trainExamples", 100.0)))).isTrue();
    // the dataset has 100 training rows and the fit asked for 2 epochs; an 8-core node cannot have spent an hour of CPU
    for (var bad : List.of(fit(activity, batch, 101, 2, 0), fit(activity, batch, 80.5, 2, 0), fit(activity, batch, 80, 3, 0))) {
      assertThatThrownBy(() -> services.activities().report(node, bad))
          .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_RESULT"));
    }
    for (long cpu : List.of(-1L, 3_600_000_000L)) {
      assertThatThrownBy(() -> services.activities().report(node, fit(activity, batch, 80, 2, cpu)))
          .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_CPU_TIME"));
    }
    assertThat(notes(agreement)).as("nothing is billed before the script ends").isEmpty();
    assertThat(services.activities().report(node, fit(activity, batch, 80, 2, 2_500_000))).isTrue();
    assertThat(services.activities().report(node, report(activity, batch, 3, true, Map.of()))).isFalse();

    JsonNode usage = json(send(ana, "GET", "/api/v1/activities/" + activity, null)).get("usage");
    assertThat(usage.get("examplesEpochs").asLong()).isEqualTo(160);
    assertThat(usage.get("cpuMicros").asLong()).isEqualTo(2_500_000);
    assertThat(usage.get("bytes").asLong()).isEqualTo(streamed);
    JsonNode notes = notes(agreement);
    assertThat(notes).hasSize(1);
    // fixed + 0.01 x 160 examples x epochs + 0.1 x 2 whole CPU seconds + 0.00001 x bytes
    var expected = new java.math.BigDecimal("0.5").add(new java.math.BigDecimal("1.6")).add(new java.math.BigDecimal("0.2"))
        .add(new java.math.BigDecimal("0.00001").multiply(java.math.BigDecimal.valueOf(streamed)));
    assertThat(new java.math.BigDecimal(notes.get(0).get("amount").asText())).isEqualByComparingTo(expected);
  }

  @Test
  void aFailedCommandBillsNothing() throws Exception {
    String price = "{\"fixed\": \"0.5\", \"perUnit\": {\"examples_epochs\": \"0.01\", \"cpu_seconds\": \"0.1\"}}";
    String agreement = agreement(price, "100");
    String activity = activity(agreement);
    String batch = json(exec(activity, "[{\"deploy\": {\"model\": " + MODEL + ", \"dataset\": \"" + dataset + "\"}}, {\"start\": {}},"
        + " {\"run\": {\"kind\": \"fit\", \"epochs\": 2}}]")).get("id").asText();
    services.activities().pollScript(node, Duration.ofSeconds(1)).orElseThrow();
    assertThat(services.activities().report(node, report(activity, batch, 0, true, Map.of()))).isTrue();
    assertThat(services.activities().report(node, report(activity, batch, 1, true, Map.of()))).isTrue();
    var failed = new CommandReport(activity, batch, 2, false, "diverged", Map.of("examples", 80.0, "epochs", 2.0), "", List.of(), 1_000_000);
    assertThat(services.activities().report(node, failed)).isFalse();
    JsonNode usage = json(send(ana, "GET", "/api/v1/activities/" + activity, null)).get("usage");
    assertThat(usage.get("examplesEpochs").asLong()).isZero();
    assertThat(usage.get("cpuMicros").asLong()).isZero();
    assertThat(notes(agreement)).isEmpty();
  }

  @Test
  void aCommandThatWouldPassTheHardCapIsNotStartedAndTheAgreementEnds() throws Exception {
    String price = "{\"fixed\": \"0\", \"perUnit\": {\"examples_epochs\": \"0.01\"}}";
    String agreement = agreement(price, "2");
    String activity = activity(agreement);
    // the first fit uses 80 x 1 (0.80); the second may use 100 rows x 2 epochs, 0.80 + 2.00 > 2: it does not start
    String batch = json(exec(activity, "[{\"deploy\": {\"model\": " + MODEL + ", \"dataset\": \"" + dataset + "\"}}, {\"start\": {}},"
        + " {\"run\": {\"kind\": \"fit\", \"epochs\": 1}}, {\"run\": {\"kind\": \"fit\", \"epochs\": 2}}, {\"terminate\": {}}]")).get("id").asText();
    services.activities().pollScript(node, Duration.ofSeconds(1)).orElseThrow();
    assertThat(services.activities().report(node, report(activity, batch, 0, true, Map.of()))).isTrue();
    assertThat(services.activities().report(node, report(activity, batch, 1, true, Map.of()))).isTrue();
    assertThat(services.activities().report(node, fit(activity, batch, 80, 1, 0))).as("the node is told to stop").isFalse();

    JsonNode b = json(send(ana, "GET", "/api/v1/activities/" + activity + "/batches/" + batch, null));
    assertThat(b.get("state").asText()).isEqualTo("failed");
    assertThat(b.get("results")).hasSize(4);
    assertThat(b.at("/results/3/result").asText()).isEqualTo("error");
    assertThat(b.at("/results/3/message").asText()).startsWith("not started: hard cap: command 3 (run:fit").contains("above the hard cap 2");
    JsonNode notes = notes(agreement);
    assertThat(notes).hasSize(1);
    assertThat(new java.math.BigDecimal(notes.get(0).get("amount").asText())).isEqualByComparingTo("0.80");
    assertThat(json(send(ana, "GET", "/api/v1/agreements/" + agreement, null)).get("state").asText()).isEqualTo("TERMINATED");
    JsonNode shown = json(send(ana, "GET", "/api/v1/activities/" + activity, null));
    assertThat(shown.get("state").asText()).isEqualTo("TERMINATED");
    assertThat(shown.get("reason").asText()).startsWith("hard cap:");
    assertThat(shown.at("/usage/examplesEpochs").asLong()).isEqualTo(80);
    assertThatThrownBy(() -> services.activities().report(node, report(activity, batch, 4, true, Map.of()))).isInstanceOf(ConflictException.class);
  }

  @Test
  void aDebitNoteLeftUnacceptedPastItsDeadlineStopsTheNextScriptAndEndsTheAgreement() throws Exception {
    String price = "{\"fixed\": \"0\", \"perUnit\": {\"examples_epochs\": \"0.01\"}}";
    String agreement = agreement(price, "100");
    String activity = activity(agreement);
    String first = json(exec(activity, "[{\"deploy\": {\"model\": " + MODEL + ", \"dataset\": \"" + dataset + "\"}}, {\"start\": {}},"
        + " {\"run\": {\"kind\": \"fit\", \"epochs\": 1}}]")).get("id").asText();
    services.activities().pollScript(node, Duration.ofSeconds(1)).orElseThrow();
    assertThat(services.activities().report(node, report(activity, first, 0, true, Map.of()))).isTrue();
    assertThat(services.activities().report(node, report(activity, first, 1, true, Map.of()))).isTrue();
    assertThat(services.activities().report(node, fit(activity, first, 80, 1, 0))).isFalse(); // the script's end
    assertThat(notes(agreement)).as("the script was billed").hasSize(1);

    ahead.set(Duration.ofHours(2)); // past the note's acceptance deadline (1 h), and nobody accepted it
    String second = json(exec(activity, "[{\"run\": {\"kind\": \"evaluate\"}}]")).get("id").asText();
    services.activities().pollScript(node, Duration.ofSeconds(1));

    JsonNode b = json(send(ana, "GET", "/api/v1/activities/" + activity + "/batches/" + second, null));
    assertThat(b.get("state").asText()).isEqualTo("failed");
    assertThat(b.at("/results/0/result").asText()).isEqualTo("error");
    assertThat(b.at("/results/0/message").asText()).startsWith("not started: debit note ").contains("was not accepted by its deadline");
    assertThat(json(send(ana, "GET", "/api/v1/agreements/" + agreement, null)).get("state").asText()).isEqualTo("TERMINATED");
    assertThat(json(send(ana, "GET", "/api/v1/activities/" + activity, null)).get("state").asText()).isEqualTo("TERMINATED");
  }

  // ---- fixtures ----

  private static CommandReport fit(String activity, String batch, double examples, double epochs, long cpuMicros) {
    return new CommandReport(activity, batch, 2, true, "fit", Map.of("examples", examples, "epochs", epochs, "loss", 0.5), "", List.of(), cpuMicros);
  }

  private JsonNode notes(String agreement) throws Exception {
    return json(send(ana, "GET", "/api/v1/debit-notes?agreement=" + agreement, null)).get("items");
  }

  private static CommandReport report(String activity, String batch, int index, boolean ok, Map<String, Double> values) {
    return new CommandReport(activity, batch, index, ok, ok ? "ok" : "failed", values, "", List.of());
  }

  /** An approved agreement between ana's job (which waits for a second node) and an offer on the node. */
  private String agreement() throws Exception {
    return agreement(null, "1");
  }

  /** As {@link #agreement()}, with the offer's {@code price} (JSON, or null for none) and the demand's budget, its hard cap. */
  private String agreement(String price, String budget) throws Exception {
    String spec = "{\"name\": \"m\", \"datasets\": [\"cancer\"], \"model\": " + MODEL + ", \"rounds\": 1, \"minNodes\": 3}";
    HttpResponse<String> res = send(ana, "POST", "/api/v1/jobs", spec);
    assertThat(res.statusCode()).as(res.body()).isEqualTo(201);
    String job = json(res).get("id").asText();
    String offer = created(owner, "/api/v1/offers", "{\"node\": \"" + node + "\"" + (price == null ? "" : ", \"price\": " + price) + "}");
    String demand = created(ana, "/api/v1/demands", "{\"job\": \"" + job + "\", \"budget\": \"" + budget + "\""
        + (price == null ? "" : ", \"maxPrice\": " + price) + "}");
    String proposal = created(ana, "/api/v1/proposals", "{\"offer\": \"" + offer + "\", \"demand\": \"" + demand + "\"}");
    String agreement = created(ana, "/api/v1/agreements", "{\"proposal\": \"" + proposal + "\"}");
    assertThat(send(ana, "POST", "/api/v1/agreements/" + agreement + "/confirm", null).statusCode()).isEqualTo(200);
    assertThat(send(owner, "POST", "/api/v1/agreements/" + agreement + "/approve", null).statusCode()).isEqualTo(200);
    return agreement;
  }

  private String activity(String agreement) throws Exception {
    HttpResponse<String> res = send(ana, "POST", "/api/v1/activities", "{\"agreement\": \"" + agreement + "\"}");
    assertThat(res.statusCode()).as(res.body()).isEqualTo(201);
    assertThat(json(res).get("state").asText()).isEqualTo("NEW");
    return json(res).get("id").asText();
  }

  private HttpResponse<String> exec(String activity, String commands) throws Exception {
    return send(ana, "POST", "/api/v1/activities/" + activity + "/exec", "{\"commands\": " + commands + "}");
  }

  private static void assertRefused(HttpResponse<String> res, int status, String code, int index, String message) throws Exception {
    assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
    JsonNode body = json(res);
    assertThat(body.get("code").asText()).as(res.body()).isEqualTo(code);
    assertThat(body.at("/details/index").asInt(-1)).as(res.body()).isEqualTo(index);
    assertThat(body.get("message").asText()).contains(message);
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

  private static JsonNode json(HttpResponse<String> res) throws Exception {
    return Json.mapper().readTree(res.body());
  }

  private static String code(HttpResponse<String> res) throws Exception {
    return json(res).get("code").asText();
  }
}
