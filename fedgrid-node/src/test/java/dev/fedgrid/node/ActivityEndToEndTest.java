package dev.fedgrid.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.core.tensor.TensorCodec;
import dev.fedgrid.gateway.GatewayServices;
import dev.fedgrid.gateway.access.Passwords;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.audit.AuditQuery;
import dev.fedgrid.gateway.control.ControlServer;
import dev.fedgrid.gateway.fleet.FleetServer;
import dev.fedgrid.gateway.fleet.FleetServerOptions;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.gateway.json.Json;
import dev.fedgrid.gateway.market.MarketViews.DemandTerms;
import dev.fedgrid.gateway.market.MarketViews.OfferTerms;
import dev.fedgrid.gateway.market.MarketViews.Price;
import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.ml.DjlTrainingEngine;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An activity end to end: a real gateway core (SQLite, the market, the control API over HTTP and
 * the fleet server serving the Activities service on 127.0.0.1) and a real node daemon training
 * with the DJL engine on the breast-cancer CSV. The requestor runs deploy (from the job's
 * parameters) → start → run fit → run evaluate → transfer to the gateway → terminate through the
 * REST API, and every command's result is checked; a text canary and a numeric marker planted in a
 * row of the CSV never appear in the results, the log, the activity or the audit ledger.
 */
@Timeout(180)
class ActivityEndToEndTest {
  private static final String NUMERIC_MARKER = "271828.1828";
  private static final String MODEL = "{\"layers\": [{\"type\": \"dense\", \"units\": 1}], \"loss\": \"binary_cross_entropy\"}";

  @TempDir Path dir;
  private SqlDatabase db;
  private GatewayServices services;
  private Coordinator coordinator;
  private FleetServer fleet;
  private ControlServer control;
  private DjlTrainingEngine engine;
  private NodeDaemon node;
  private HttpClient http;
  private String textMarker;

  @BeforeEach
  void start() throws Exception {
    Clock clock = Clock.systemUTC();
    db = SqlDatabase.sqlite(dir.resolve("gateway/gateway.db"));
    services = GatewayServices.of(db, clock, new Passwords(64, 1, 1));
    coordinator = services.coordinator(new CoordinatorOptions(Duration.ofMillis(200), Duration.ofSeconds(5), Duration.ofMillis(500), Duration.ofMillis(50)));
    coordinator.start();
    fleet = FleetServer.start(coordinator, services.activities(), "127.0.0.1", 0, FleetServerOptions.builder().shutdownTimeout(Duration.ofSeconds(2)).build(), null);
    control = services.controlServer(coordinator).start();
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    engine = DjlTrainingEngine.create(1);
  }

  @AfterEach
  void stop() {
    if (node != null) node.close();
    if (engine != null) engine.close();
    if (http != null) http.close();
    if (control != null) control.close();
    if (fleet != null) fleet.close();
    if (coordinator != null) coordinator.close();
    if (db != null) db.close();
  }

  @Test
  void aScriptDeploysTrainsEvaluatesTransfersAndTerminatesOnARealNode() throws Exception {
    // the parties: the owner (provider side) and ana, whose job the node works for
    String ownerToken = services.identity().bootstrap().orElseThrow().token();
    Principal owner = services.identity().authenticate(ownerToken);
    services.identity().createUser(owner, "ana", "data-scientist", Optional.of("correct horse battery staple"));
    String ana = services.identity().login("ana", "correct horse battery staple", "127.0.0.1").token();
    Principal anaP = services.identity().authenticate(ana);

    // a node with the breast-cancer CSV, a canary in an ignored text column and a marker in a feature
    Path csv = plantedCsv();
    String join = services.joinTokens().issue(owner, Optional.of("hospital-a"), Duration.ofHours(1)).token();
    node = NodeDaemon.start(NodeConfig.builder().gateway("127.0.0.1", fleet.port()).nodeName("hospital-a").dataDir(dir.resolve("node"))
        .dataset(DatasetOption.parse("name=cancer,path=" + csv + ",label=benign,ignore=record_id,test=0.2,visibility=public")).pollWait(Duration.ofSeconds(1))
        .joinToken(join).build(), engine);
    var nodeId = node.awaitRegistration(Duration.ofSeconds(30));
    DatasetInfo dataset = services.store().datasets(Optional.of("cancer")).getFirst();

    // ana's job waits for a second node, so the agreement stays APPROVED while the activity runs
    JobSpec spec = Json.mapper().readValue("{\"name\": \"act\", \"datasets\": [\"cancer\"], \"model\": " + MODEL + ", \"rounds\": 1, \"minNodes\": 2}", JobSpec.class);
    JobId job = coordinator.submitJob(anaP, spec).id();
    var market = services.market();
    var price = new Price("1", Map.of("examples_epochs", "0.001", "cpu_seconds", "0.5", "bytes", "0.0001"));
    String offer = market.publishOffer(owner, new OfferTerms(nodeId.value(), Map.of(), null, price)).id();
    String demand = market.publishDemand(anaP, new DemandTerms(job.value(), Map.of(), null, price, "1000", Map.of())).id();
    String agreement = market.createAgreement(anaP, market.propose(anaP, offer, demand).id(), Optional.empty(), Optional.empty()).id();
    market.confirm(anaP, agreement);
    market.approve(owner, agreement);

    HttpResponse<String> created = send(ana, "POST", "/api/v1/activities", "{\"agreement\": \"" + agreement + "\"}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String activity = json(created).get("id").asText();
    String script = "[{\"deploy\": {\"model\": " + MODEL + ", \"dataset\": \"" + dataset.id() + "\", \"parameters\": \"job\"}},"
        + " {\"start\": {}},"
        + " {\"run\": {\"kind\": \"fit\", \"epochs\": 3, \"learningRate\": 0.1}},"
        + " {\"run\": {\"kind\": \"evaluate\"}},"
        + " {\"transfer\": {\"from\": \"activity\", \"to\": \"gateway\"}},"
        + " {\"terminate\": {}}]";
    HttpResponse<String> queued = send(ana, "POST", "/api/v1/activities/" + activity + "/exec", "{\"commands\": " + script + "}");
    assertThat(queued.statusCode()).as(queued.body()).isEqualTo(202);
    String batchPath = queued.headers().firstValue("Location").orElseThrow();

    JsonNode batch = awaitFinished(ana, batchPath, Duration.ofSeconds(120));
    assertThat(batch.get("state").asText()).as(batch.toString()).isEqualTo("done");
    JsonNode results = batch.get("results");
    assertThat(results).hasSize(6);
    List<String> commands = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      assertThat(results.get(i).get("index").asInt()).isEqualTo(i);
      assertThat(results.get(i).get("result").asText()).as(results.get(i).toString()).isEqualTo("ok");
      commands.add(results.get(i).get("command").asText());
    }
    assertThat(commands).containsExactly("deploy", "start", "run", "run", "transfer", "terminate");

    // deploy: the job's initial parameters, 30 weights and a bias, exactly as the gateway holds them
    byte[] initial = TensorCodec.encode(services.store().latestCheckpoint(job).orElseThrow().parameters());
    assertThat(results.at("/0/data/parameters").asInt()).isEqualTo(31);
    assertThat(results.at("/0/data/parametersDigest").asText()).isEqualTo(ActivityWorker.sha256(initial));
    // start: the node's splits
    long train = dataset.metadata().trainRows();
    long test = dataset.metadata().testRows();
    assertThat(results.at("/1/data/trainExamples").asLong()).isEqualTo(train);
    assertThat(results.at("/1/data/testExamples").asLong()).isEqualTo(test);
    // fit: every training row, three epochs, new parameters
    assertThat(results.at("/2/data/examples").asLong()).isEqualTo(train);
    assertThat(results.at("/2/data/epochs").asInt()).isEqualTo(3);
    assertThat(results.at("/2/data/loss").asDouble()).isBetween(0.0, 0.7);
    String trained = results.at("/2/data/parametersDigest").asText();
    assertThat(trained).isNotEqualTo(results.at("/0/data/parametersDigest").asText());
    // evaluate: the test split, a model that learned
    assertThat(results.at("/3/data/examples").asLong()).isEqualTo(test);
    assertThat(results.at("/3/data/accuracy").asDouble()).isGreaterThan(0.85);
    // transfer: the gateway holds what the node trained, by digest and size
    JsonNode shown = json(send(ana, "GET", "/api/v1/activities/" + activity, null));
    assertThat(results.at("/4/data/parametersDigest").asText()).isEqualTo(trained).isEqualTo(shown.at("/parameters/digest").asText());
    assertThat(shown.at("/parameters/size").asLong()).isEqualTo(results.at("/4/data/bytes").asLong()).isPositive();
    // usage: the fit's examples x epochs, the engine's CPU time, the parameters streamed both ways; one debit note prices it
    JsonNode usage = shown.get("usage");
    assertThat(usage.get("examplesEpochs").asLong()).isEqualTo(train * 3);
    assertThat(usage.get("cpuMicros").asLong()).as("the node measured its engine thread").isPositive();
    assertThat(usage.get("bytes").asLong()).isEqualTo(initial.length + shown.at("/parameters/size").asLong());
    JsonNode notes = json(send(ana, "GET", "/api/v1/debit-notes?agreement=" + agreement, null)).get("items");
    assertThat(notes).hasSize(1);
    BigDecimal expected = new BigDecimal("1").add(new BigDecimal("0.001").multiply(BigDecimal.valueOf(train * 3)))
        .add(new BigDecimal("0.5").multiply(BigDecimal.valueOf(usage.get("cpuMicros").asLong() / 1_000_000)))
        .add(new BigDecimal("0.0001").multiply(BigDecimal.valueOf(usage.get("bytes").asLong())));
    assertThat(new BigDecimal(notes.get(0).get("amount").asText())).isEqualByComparingTo(expected);
    // terminate
    assertThat(shown.get("state").asText()).isEqualTo("TERMINATED");
    assertThat(shown.get("reason").asText()).startsWith("terminate command of bat_");

    List<String> lines = json(send(ana, "GET", "/api/v1/activities/" + activity + "/logs", null)).get("items").findValuesAsText("line");
    assertThat(lines).contains("deployed a model of 31 parameters for 30 features", "loaded 31 parameters (" + initial.length + " bytes)",
        "started: " + train + " training and " + test + " test examples available", "terminated");
    assertThat(lines).anyMatch(l -> l.startsWith("fit " + train + " examples for 3 epoch(s) in ")).anyMatch(l -> l.startsWith("evaluated " + test + " examples"))
        .anyMatch(l -> l.startsWith("accuracy 0.")).anyMatch(l -> l.startsWith("sent 31 parameters"));

    // no row of data came back: not in results, log, activity nor audit ledger
    String everything = batch.toString() + lines + shown + services.audit().events(AuditQuery.all(1000));
    assertThat(everything).doesNotContain(textMarker).doesNotContain(NUMERIC_MARKER).doesNotContain("271828");
  }

  /** The breast-cancer CSV with a record_id column (the canary in the first row) and a numeric marker in its first feature. */
  private Path plantedCsv() throws Exception {
    textMarker = "CANARY-" + UUID.randomUUID();
    Path source = Path.of(System.getProperty("user.dir")).getParent().resolve("data/breast_cancer_wisconsin.csv");
    List<String> in = Files.readAllLines(source, StandardCharsets.UTF_8);
    var out = new ArrayList<String>();
    out.add("record_id," + in.getFirst());
    for (int i = 1; i < in.size(); i++) {
      String row = in.get(i);
      if (i == 1) row = NUMERIC_MARKER + row.substring(row.indexOf(','));
      out.add((i == 1 ? textMarker : "patient-" + i) + "," + row);
    }
    Path csv = dir.resolve("cancer.csv");
    Files.write(csv, out, StandardCharsets.UTF_8);
    return csv;
  }

  private JsonNode awaitFinished(String token, String path, Duration timeout) throws Exception {
    long until = System.nanoTime() + timeout.toNanos();
    while (true) {
      JsonNode b = json(send(token, "GET", path, null));
      String state = b.get("state").asText();
      if (!state.equals("queued") && !state.equals("running")) return b;
      if (System.nanoTime() > until) throw new AssertionError("the script did not finish in " + timeout + ": " + b);
      Thread.sleep(100);
    }
  }

  private HttpResponse<String> send(String token, String method, String path, String body) throws Exception {
    var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + control.port() + path)).timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
    return http.send(b.build(), BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> res) throws Exception {
    return Json.mapper().readTree(res.body());
  }
}
