package dev.fedgrid.cli;

import static dev.fedgrid.cli.TestGrid.CANCER;
import static dev.fedgrid.cli.TestGrid.IMAGES;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TensorSpec;
import dev.fedgrid.cli.CliHelpTest.Run;
import dev.fedgrid.core.io.Safetensors;
import dev.fedgrid.custodian.AssignmentCheck;
import dev.fedgrid.custodian.CustodianAudit;
import dev.fedgrid.custodian.CustodianServer;
import dev.fedgrid.security.CertificateRole;
import dev.fedgrid.security.IssueRequest;
import dev.fedgrid.security.ProjectCa;
import dev.fedgrid.security.TlsMaterial;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands against a real gateway with two real nodes in this JVM (see {@link TestGrid}): what
 * reaches the gateway, human and JSON output, and exit codes, up to a job's whole life from
 * submission to its downloaded model.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CliCommandsTest {
  static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule());
  private static final long TRAINED_SEED = 101;

  @TempDir static Path dir;
  private static TestGrid grid;
  /** Three rounds on both nodes; the job's first update failed on purpose, so round 1 has one failure. */
  private static Job trained;

  @BeforeAll
  static void start() throws Exception {
    grid = TestGrid.start(dir);
    grid.failFits(TRAINED_SEED, n -> n == 1);
    trained = grid.run(TestGrid.spec("trained", TRAINED_SEED, 3, 1));
    assertThat(trained.state()).as(trained.message()).isEqualTo(JobState.COMPLETED);
  }

  @AfterAll
  static void stop() {
    if (grid != null) grid.close();
  }

  private static Run run(String... args) {
    var all = new ArrayList<>(List.of(args));
    all.add("--gateway");
    all.add(grid.url());
    all.add("--token");
    all.add(grid.owner().token());
    return CliHelpTest.run(all.toArray(String[]::new));
  }

  /** A job that waits in the queue for good: it needs more nodes than the grid has. */
  private static Job queued() {
    return grid.client().submitJob(TestGrid.spec("waiting", 42, 1, 3));
  }

  // ---- datasets ----

  @Test
  void datasetListPrintsAnAlignedTable() {
    Run r = run("dataset", "list");
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = r.out().lines().toList();
    assertThat(lines).hasSize(4);
    String header = lines.getFirst();
    assertThat(header).startsWith("ID").contains("NAME").contains("NODE").contains("LABEL");
    int nameColumn = header.indexOf("NAME");
    int nodeColumn = header.indexOf("NODE");
    List<String> rows = lines.subList(1, 4);
    assertThat(rows).allSatisfy(row -> {
      assertThat(row.substring(nameColumn)).matches("(cancer|images) .*");
      assertThat(row.substring(nodeColumn)).startsWith("hospital-");
    });
    assertThat(rows).filteredOn(row -> row.contains(" cancer ")).hasSize(2)
        .allSatisfy(row -> assertThat(row).contains("[30]").contains("2 classes").contains("public").endsWith("medical,tabular"));
    assertThat(rows).filteredOn(row -> row.contains(" images ")).singleElement()
        .satisfies(row -> assertThat(row).contains("hospital-a").contains("[1, 28, 28]").contains("10 classes").endsWith("images"));
  }

  @Test
  void datasetListJsonIsTheApiJson() throws Exception {
    Run r = run("dataset", "list", "--tag", "medical", "--name", CANCER, "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode items = JSON.readTree(r.out()).get("items");
    List<DatasetInfo> expected = grid.client().datasets(CANCER, null);
    assertThat(items).hasSize(2);
    for (int i = 0; i < 2; i++) {
      JsonNode item = items.get(i);
      assertThat(item.get("id").asText()).isEqualTo(expected.get(i).id().value());
      assertThat(item.at("/metadata/name").asText()).isEqualTo(CANCER);
      assertThat(item.at("/metadata/label/kind").asText()).isEqualTo("categorical");
      assertThat(Instant.parse(item.get("registeredAt").asText())).isEqualTo(expected.get(i).registeredAt());
    }

    JsonNode images = JSON.readTree(run("dataset", "list", "--tag", "images", "--json").out()).get("items");
    assertThat(images).singleElement().satisfies(d -> assertThat(d.at("/metadata/name").asText()).isEqualTo(IMAGES));

    Run none = run("dataset", "list", "--name", "heart");
    assertThat(none.code()).isZero();
    assertThat(none.out()).isEmpty();
    assertThat(none.err()).isEqualTo("no datasets match\n");
  }

  @Test
  void datasetShowByNameOrId() throws Exception {
    DatasetInfo images = grid.dataset(IMAGES, "hospital-a");
    Run byName = run("dataset", "show", IMAGES);
    assertThat(byName.code()).as(byName.err()).isZero();
    DatasetMetadata m = images.metadata();
    assertThat(byName.out()).contains(images.id().value()).contains("hospital-a (" + images.nodeId() + ")").contains("[1, 28, 28]")
        .contains("label: 10 classes (rows per class " + m.label().classCounts().stream().map(String::valueOf).collect(Collectors.joining(", ")) + ")")
        .contains(m.trainRows() + " train, " + m.testRows() + " test")
        .doesNotContain("COLUMN");
    assertThat(m.trainRows() + m.testRows()).isEqualTo(30);

    DatasetInfo cancer = grid.dataset(CANCER, "hospital-b");
    Run byId = run("dataset", "show", cancer.id().value());
    assertThat(byId.code()).as(byId.err()).isZero();
    DatasetMetadata c = cancer.metadata();
    assertThat(byId.out()).contains("hospital-b (" + cancer.nodeId() + ")")
        .contains("benign: 2 classes (rows per class " + c.label().classCounts().get(0) + ", " + c.label().classCounts().get(1) + ")")
        .contains("medical, tabular");
    List<String> columns = byId.out().lines().dropWhile(l -> !l.startsWith("COLUMN")).toList();
    assertThat(columns).hasSize(31);
    ColumnStats radius = c.features().getFirst();
    assertThat(columns.get(1).split("\\s+"))
        .containsExactly("radius_mean", String.valueOf(radius.count()), String.format(Locale.ROOT, "%.4f", radius.mean()), String.format(Locale.ROOT, "%.4f", radius.stddev()));

    Run json = run("dataset", "show", cancer.id().value(), "--json");
    assertThat(JSON.readTree(json.out()).at("/metadata/name").asText()).isEqualTo(CANCER);
    assertThat(JSON.readTree(json.out()).get("nodeId").asText()).isEqualTo(cancer.nodeId().value());

    Run ambiguous = run("dataset", "show", CANCER);
    assertThat(ambiguous.code()).isEqualTo(1);
    assertThat(ambiguous.err()).contains("2 datasets are named 'cancer'").endsWith("(AMBIGUOUS_DATASET)\n");
  }

  // ---- errors ----

  @Test
  void failuresPrintMessageAndCodeAndExit1() {
    JobId id = JobId.random();
    Run r = run("job", "show", id.value());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).isEqualTo("error: no job has id " + id + "; see `fedgrid job list` (JOB_NOT_FOUND)\n");
    assertThat(r.out()).isEmpty();

    Run bad = run("job", "show", "job_x");
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.err()).startsWith("error: 'job_x' is not a job id").endsWith("(INVALID_ID)\n");

    Run invalid = run("job", "submit", "--dataset", CANCER, "--model", "logistic", "--epochs", "0");
    assertThat(invalid.code()).isEqualTo(1);
    assertThat(invalid.err()).isEqualTo("error: epochs must be in [1, 1000], got 0 (INVALID_TRAINING_CONFIG)\n");
  }

  /**
   * {@code job submit --confidential}: the model is sealed and its key's shares deposited at three
   * real custodians (over mutual TLS with a user certificate), the gateway gets the outline and the
   * sealed artifact, and every custodian binds the artifact to the job. No node asks here, so the
   * custodians' assignment check refuses everything.
   */
  @Test
  void aConfidentialSubmissionSealsTheModelDepositsTheSharesAndBindsThemToTheJob() throws Exception {
    Path pki = dir.resolve("confidential-pki-" + System.nanoTime());
    var ca = ProjectCa.create(pki, ProjectCa.DEFAULT_NAME, ProjectCa.DEFAULT_VALIDITY,
        InstantSource.system());
    var custodians = new ArrayList<CustodianServer>();
    try {
      for (String name : List.of("c1", "c2", "c3")) {
        var tls = TlsMaterial.load(ca.issue(IssueRequest.of(CertificateRole.CUSTODIAN, name)).directory(),
            InstantSource.system());
        custodians.add(CustodianServer.start(pki.resolve("data-" + name), tls,
            (job, node) -> AssignmentCheck.Answer.no("not asked in this test"), "127.0.0.1", 0, InstantSource.system()));
      }
      Path user = ca.issue(IssueRequest.of(CertificateRole.USER, "owner")).directory();
      String urls = custodians.stream().map(c -> "https://127.0.0.1:" + c.port()).collect(Collectors.joining(","));

      Run usage = run("job", "submit", "--dataset", CANCER, "--model", "mlp:8", "--confidential", "--custodians", urls, "--custodian-threshold", "4",
          "--custodian-tls-dir", user.toString());
      assertThat(usage.code()).isEqualTo(2);
      assertThat(usage.err()).contains("--custodian-threshold must be from 2 to the number of --custodians (3), got 4");

      Run r = run("job", "submit", "--dataset", CANCER, "--model", "mlp:8", "--confidential", "--custodians", urls, "--custodian-tls-dir", user.toString(), "--json");
      assertThat(r.code()).as(r.err()).isZero();
      JsonNode job = JSON.readTree(r.out());
      String id = job.get("id").asText();
      assertThat(r.err()).contains("its key is split 2-of-3 among the custodians");
      assertThat(job.at("/spec/market").asBoolean()).isTrue();
      assertThat(job.at("/spec/model/layers").toString()).doesNotContain("relu").contains("dense");
      assertThat(job.at("/spec/confidential/threshold").asInt()).isEqualTo(2);
      String artifact = job.at("/spec/confidential/artifactId").asText();
      for (var c : custodians) {
        var entries = CustodianAudit.read(c.auditFile());
        assertThat(entries).extracting(CustodianAudit.Entry::action).containsExactly("share.deposited", "share.bound");
        assertThat(entries.getLast().artifactId()).isEqualTo(artifact);
        assertThat(entries.getLast().jobId()).isEqualTo(id);
        assertThat(entries.getLast().actor()).isEqualTo("user:owner");
      }
      grid.client().cancelJob(JobId.of(id));
    } finally {
      custodians.forEach(CustodianServer::close);
    }
  }

  @Test
  void anUnreachableGatewayIsExplained() throws IOException {
    int port;
    try (var s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Run r = CliHelpTest.run("job", "list", "--gateway", "http://127.0.0.1:" + port);
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("error: cannot reach the gateway at http://127.0.0.1:" + port + ": is `fedgrid gateway start` running?")
        .contains("(GATEWAY_UNREACHABLE)\n")
        .contains("--gateway URL or set FEDGRID_GATEWAY");
  }

  @Test
  void theGatewayComesFromTheEnvironmentWhenNotGiven() {
    System.setProperty("FEDGRID_GATEWAY", grid.url()); // picocli reads system properties before the environment
    System.setProperty("FEDGRID_TOKEN", grid.owner().token()); // and so does the token's lookup
    try {
      Run r = CliHelpTest.run("job", "list", "--state", "completed");
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(r.out()).contains(trained.id().value());
    } finally {
      System.clearProperty("FEDGRID_GATEWAY");
      System.clearProperty("FEDGRID_TOKEN");
    }
  }

  // ---- jobs ----

  @Test
  void submitSendsEveryOptionToTheGateway() throws Exception {
    DatasetInfo other = grid.dataset(CANCER, "hospital-b");
    Run r = run("job", "submit", "--dataset", CANCER, "--dataset", other.id().value(), "--model", "mlp:16,8", "--rounds", "5",
        "--strategy", "fedprox", "--mu", "0.05", "--epochs", "2", "--batch-size", "16", "--optimizer", "adam", "--lr", "0.01",
        "--seed", "7", "--min-nodes", "3", "--round-timeout", "5m", "--no-standardize");
    assertThat(r.code()).as(r.err()).isZero();
    JobId id = JobId.of(r.out().strip());
    assertThat(r.out()).isEqualTo(id + "\n");
    assertThat(r.err()).contains("fedgrid job watch " + id);

    JsonNode job = JSON.readTree(run("job", "show", id.value(), "--json").out()).get("job");
    assertThat(job.get("state").asText()).as("three nodes are needed, two exist").isEqualTo("queued");
    JsonNode spec = job.get("spec");
    assertThat(spec.get("name").asText()).isEqualTo("cancer mlp:16-8");
    // fixed to what "cancer" and the id matched at submission: both nodes' datasets, each once (in
    // registration order, which is arbitrary for two registered in the same millisecond)
    var datasets = new java.util.ArrayList<String>();
    spec.get("datasets").forEach(d -> datasets.add(d.asText()));
    assertThat(datasets).containsExactlyInAnyOrder(grid.dataset(CANCER, "hospital-a").id().value(), other.id().value());
    assertThat(spec.at("/model/layers").toString())
        .isEqualTo("[{\"type\":\"dense\",\"units\":16},{\"type\":\"relu\"},{\"type\":\"dense\",\"units\":8},{\"type\":\"relu\"},{\"type\":\"dense\",\"units\":1}]");
    assertThat(spec.at("/model/loss").asText()).isEqualTo("binary_cross_entropy");
    assertThat(spec.at("/strategy").toString()).isEqualTo("{\"type\":\"fedprox\",\"mu\":0.05}");
    assertThat(spec.at("/training/epochs").asInt()).isEqualTo(2);
    assertThat(spec.at("/training/batchSize").asInt()).isEqualTo(16);
    assertThat(spec.at("/training/optimizer").asText()).isEqualTo("adam");
    assertThat(spec.at("/training/learningRate").asDouble()).isEqualTo(0.01);
    assertThat(spec.at("/training/seed").asLong()).isEqualTo(7);
    assertThat(spec.get("rounds").asInt()).isEqualTo(5);
    assertThat(spec.get("minNodes").asInt()).isEqualTo(3);
    assertThat(spec.get("roundTimeoutSeconds").asInt()).isEqualTo(300);
    assertThat(spec.get("standardize").asBoolean()).isFalse();
    grid.client().cancelJob(id);
  }

  @Test
  void submitWithCnnAndJson() throws Exception {
    DatasetInfo images = grid.dataset(IMAGES, "hospital-a");
    Run r = run("job", "submit", "--dataset", images.id().value(), "--model", "cnn", "--strategy", "fedadam", "--server-lr", "0.02", "--json");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode job = JSON.readTree(r.out());
    JobId id = JobId.of(job.get("id").asText());
    assertThat(job.get("state").asText()).isEqualTo("queued");
    assertThat(job.at("/spec/model/layers/0/type").asText()).isEqualTo("conv2d");
    assertThat(job.at("/spec/model/layers/9/units").asInt()).isEqualTo(10);
    assertThat(job.at("/spec/strategy/type").asText()).isEqualTo("fedadam");
    assertThat(job.at("/spec/strategy/eta").asDouble()).isEqualTo(0.02);
    assertThat(job.at("/spec/scaling/scale/0").asDouble()).as("the gateway scales pixels to [0, 1]").isEqualTo(255.0);
    grid.client().cancelJob(id);

    Run wrong = run("job", "submit", "--dataset", CANCER, "--model", "cnn");
    assertThat(wrong.code()).isEqualTo(1);
    assertThat(wrong.err()).contains("the cnn preset needs image features").contains("(INVALID_MODEL_PRESET)");
  }

  @Test
  void submitReportsAMissingDatasetAndABadPreset() {
    Run missing = run("job", "submit", "--dataset", "nothing", "--model", "logistic");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains("no dataset is named 'nothing'").contains("(DATASET_NOT_FOUND)");
    Run preset = run("job", "submit", "--dataset", CANCER, "--model", "transformer");
    assertThat(preset.code()).isEqualTo(1);
    assertThat(preset.err()).contains("unknown model 'transformer'").contains("(UNKNOWN_MODEL_PRESET)");
  }

  @Test
  void jobListTableJsonAndCursor() throws Exception {
    grid.run(TestGrid.spec("another", 102, 1, 2));
    Run first = run("job", "list", "--state", "completed,failed", "--limit", "1");
    assertThat(first.code()).as(first.err()).isZero();
    List<String> lines = first.out().lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).startsWith("ID").contains("STATE").contains("ROUNDS").contains("METRICS");
    Matcher more = Pattern.compile("more jobs: fedgrid job list --cursor (\\S+) --limit 1").matcher(first.err());
    assertThat(more.find()).as(first.err()).isTrue();
    Run second = run("job", "list", "--state", "completed,failed", "--limit", "1", "--cursor", more.group(1));
    assertThat(second.code()).as(second.err()).isZero();
    assertThat(second.out().lines().toList()).hasSize(2);
    assertThat(second.out().lines().toList().get(1).split(" ")[0]).isNotEqualTo(lines.get(1).split(" ")[0]);

    Run completed = run("job", "list", "--state", "completed");
    assertThat(completed.out().lines().filter(l -> l.startsWith(trained.id().value()))).singleElement()
        .satisfies(row -> assertThat(row).contains("trained").contains("completed").contains("3/3").contains("accuracy 0.9500, loss 0.1200")
            .contains(Format.instant(trained.createdAt())));

    JsonNode page = JSON.readTree(run("job", "list", "--limit", "1", "--json").out());
    assertThat(page.get("items")).hasSize(1);
    assertThat(page.get("nextCursor").asText()).isNotBlank();
    JsonNode all = JSON.readTree(run("job", "list", "--json").out());
    assertThat(all.get("items")).hasSize(grid.client().jobs(null, null, 0).items().size());
    assertThat(all.has("nextCursor")).isFalse();
  }

  @Test
  void jobShowPrintsSpecAndRounds() throws Exception {
    Run r = run("job", "show", trained.id().value());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("state     completed\n").contains("rounds    3/3").contains("model     dense 1 (binary_cross_entropy)")
        .contains("strategy  fedavg").contains("epochs 1, batch 32, sgd lr 0.1, seed " + TRAINED_SEED).contains("at least 1, round timeout 60s")
        .contains("metrics   accuracy 0.9500, loss 0.1200");
    List<String> table = r.out().lines().dropWhile(l -> !l.startsWith("ROUND")).toList();
    assertThat(table).hasSize(4);
    assertThat(table.get(0).split("\\s{2,}")).containsExactly("ROUND", "NODES", "UPDATES", "EXAMPLES", "FAILURES", "TRAIN LOSS", "ACCURACY", "LOSS", "TIME");
    List<RoundSummary> rounds = grid.client().rounds(trained.id());
    for (int i = 0; i < 3; i++) {
      String[] cells = table.get(i + 1).strip().split("\\s+");
      int failures = i == 0 ? 1 : 0;
      assertThat(cells).startsWith(String.valueOf(i + 1), "2", String.valueOf(2 - failures), String.valueOf(rounds.get(i).examples()), String.valueOf(failures),
          "0.5000", "0.9500", "0.1200");
      assertThat(cells[8]).matches("\\d+\\.\\ds");
    }

    JsonNode body = JSON.readTree(run("job", "show", trained.id().value(), "--json").out());
    assertThat(body.at("/job/id").asText()).isEqualTo(trained.id().value());
    assertThat(body.at("/rounds/0/failures/0/phase").asText()).isEqualTo("fit");
    assertThat(body.at("/rounds/0/failures/0/reason").asText()).contains("fit 1 of seed " + TRAINED_SEED + " fails on purpose");
    assertThat(body.at("/rounds/2/evalMetrics/accuracy").asDouble()).isCloseTo(0.95, within(1e-9));
  }

  @Test
  void cancelAndDelete(@TempDir Path out) {
    JobId id = queued().id();
    Run active = run("job", "delete", id.value());
    assertThat(active.code()).isEqualTo(1);
    assertThat(active.err()).isEqualTo("error: job " + id + " is queued; cancel it before deleting it (JOB_ACTIVE)\n");
    Run noModel = run("model", "download", id.value(), "--out", out.toString());
    assertThat(noModel.code()).isEqualTo(1);
    assertThat(noModel.err()).contains("has no completed round yet").endsWith("(MODEL_NOT_READY)\n");

    Run cancel = run("job", "cancel", id.value());
    assertThat(cancel.code()).as(cancel.err()).isZero();
    assertThat(cancel.out()).isEqualTo("job " + id + " cancelled after 0 completed round(s)\n");
    Run again = run("job", "cancel", id.value());
    assertThat(again.code()).isEqualTo(1);
    assertThat(again.err()).endsWith("already cancelled; only queued or running jobs can be cancelled (JOB_FINISHED)\n");

    Run delete = run("job", "delete", id.value());
    assertThat(delete.code()).as(delete.err()).isZero();
    assertThat(delete.out()).isEqualTo("deleted job " + id + "\n");
    assertThat(run("job", "show", id.value()).err()).endsWith("(JOB_NOT_FOUND)\n");
  }

  // ---- watch ----

  @Test
  void watchShowsProgressAndEndsWithTheFinalMetrics() {
    JobId id = trained.id();
    Run r = run("job", "watch", id.value());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo("job " + id + " completed after 3/3 rounds\n  accuracy  0.9500\n  loss      0.1200\n");
    assertThat(r.err()).contains("3/3").contains("1 node task(s) failed");
  }

  @Test
  void watchOfAFailedJobExits1WithTheReason() throws Exception {
    long seed = 103;
    grid.failFits(seed, n -> n > 2); // round 1's two updates arrive, round 2's never do
    Job failed = grid.run(TestGrid.spec("doomed", seed, 3, 2));
    assertThat(failed.state()).isEqualTo(JobState.FAILED);

    Run r = run("job", "watch", failed.id().value());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.out()).contains("failed after 1/3 rounds").contains("accuracy  0.9500");
    assertThat(r.err()).contains("error: job " + failed.id() + " failed: round 2 of job " + failed.id() + " failed: 0 of 2 updates arrived, 2 needed;")
        .endsWith("(JOB_FAILED)\n");

    Run js = run("job", "watch", failed.id().value(), "--json");
    assertThat(js.code()).isEqualTo(1);
    assertThat(JSON.readTree(js.out()).get("state").asText()).isEqualTo("failed");
  }

  /** A job's whole life from the command line: submitted with options, followed live, shown, its model downloaded. */
  @Test
  void submitWithWatchFollowsTheJobToItsModel(@TempDir Path out) throws Exception {
    Run r = run("job", "submit", "--dataset", CANCER, "--model", "mlp:8", "--rounds", "2", "--strategy", "fedyogi",
        "--server-lr", "0.05", "--epochs", "3", "--optimizer", "adam", "--round-timeout", "2m", "--watch");
    assertThat(r.code()).as(r.err()).isZero();
    JobId id = JobId.of(r.out().lines().findFirst().orElseThrow());
    assertThat(r.out()).isEqualTo(id + "\njob " + id + " completed after 2/2 rounds\n  accuracy  0.9500\n  loss      0.1200\n");

    JsonNode shown = JSON.readTree(run("job", "show", id.value(), "--json").out());
    assertThat(shown.at("/job/spec/training/epochs").asInt()).isEqualTo(3);
    assertThat(shown.at("/job/spec/strategy/type").asText()).isEqualTo("fedyogi");
    assertThat(shown.at("/job/spec/strategy/eta").asDouble()).isEqualTo(0.05);
    assertThat(shown.at("/job/spec/roundTimeoutSeconds").asInt()).isEqualTo(120);
    assertThat(shown.at("/rounds/1/evalMetrics/accuracy").asDouble()).isCloseTo(0.95, within(1e-9));

    Run download = run("model", "download", id.value(), "--out", out.toString());
    assertThat(download.code()).as(download.err()).isZero();
    Parameters weights = Safetensors.read(Files.readAllBytes(out.resolve("model.safetensors")));
    assertThat(weights.layout().tensors()).extracting(TensorSpec::shape).containsExactly(List.of(8, 30), List.of(8), List.of(1, 8), List.of(1));
    JsonNode description = JSON.readTree(out.resolve("model.json").toFile());
    assertThat(description.get("round").asInt()).isEqualTo(2);
    assertThat(description.at("/scaling/scale")).as("standardized with the pooled column statistics").hasSize(30);
    assertThat(description.at("/layout/tensors/0/shape").toString()).isEqualTo("[8,30]");
  }

  // ---- model ----

  @Test
  void modelDownloadPrintsThePaths(@TempDir Path tmp) throws Exception {
    String id = trained.id().value();
    Path out = tmp.resolve("models");
    Run r = run("model", "download", id, "--out", out.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).isEqualTo(out.resolve("model.safetensors") + "\n" + out.resolve("model.json") + "\n");
    assertThat(r.err()).startsWith("downloaded round 3 of job " + id + " (");
    Parameters weights = Safetensors.read(Files.readAllBytes(out.resolve("model.safetensors")));
    assertThat(weights.layout().tensors()).extracting(TensorSpec::name).containsExactly("layer0.weight", "layer0.bias");
    assertThat(JSON.readTree(out.resolve("model.json").toFile()).at("/layout/tensors/1/name").asText()).isEqualTo("layer0.bias");

    Run js = run("model", "download", id, "--out", out.toString(), "--json");
    assertThat(js.code()).as(js.err()).isZero();
    JsonNode written = JSON.readTree(js.out());
    assertThat(written.get("weights").asText()).isEqualTo(out.resolve("model.safetensors").toString());
    assertThat(written.get("round").asInt()).isEqualTo(3);
    assertThat(written.get("sizeBytes").asLong()).isEqualTo(Files.size(out.resolve("model.safetensors")));
    assertThat(Files.readString(out.resolve("model.json"))).contains("\"round\" : 3");
  }
}
