package dev.fedgrid.gateway.reports;

import static org.assertj.core.api.Assertions.assertThat;

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
import dev.fedgrid.api.job.NodeFailure;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.core.dp.CentralDp;
import dev.fedgrid.gateway.GatewayServices;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.access.TestIdentity;
import dev.fedgrid.gateway.control.ControlServer;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.gateway.json.Json;
import dev.fedgrid.gateway.state.Checkpoint;
import dev.fedgrid.gateway.state.NodeRecord;
import dev.fedgrid.gateway.state.SqlDatabase;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Job reports over real HTTP: the control API wired as the gateway wires it ({@link
 * GatewayServices}, with held results, release requests and the audit ledger on SQLite), with
 * rounds recorded through the state store exactly as the job runner records them (the coordinator
 * is not started, so nothing trains).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JobReportsTest {
  private static final CoordinatorOptions OPTIONS =
      new CoordinatorOptions(Duration.ofMillis(200), Duration.ofMillis(1500), Duration.ofMillis(500), Duration.ofMillis(50));
  private static final String PASSWORD = "correct horse battery staple";
  private static final String SCRIPT = "<script>alert('x')</script>";

  @TempDir Path dir;
  private SqlDatabase db;
  private GatewayServices services;
  private Coordinator coordinator;
  private ControlServer server;
  private HttpClient http;
  private NodeId node;
  private NodeId other;
  private DatasetInfo heart;
  private String ana;
  private String bo;
  private String cleo;

  @BeforeEach
  void start() {
    Clock clock = Clock.systemUTC();
    db = SqlDatabase.sqlite(dir.resolve("gateway.db"));
    services = GatewayServices.of(db, clock, TestIdentity.FAST);
    Principal owner = services.identity().authenticate(services.identity().bootstrap().orElseThrow().token());
    for (String[] u : new String[][] {{"ana", "data-scientist"}, {"bo", "data-scientist"}, {"cleo", "compliance-officer"}}) {
      services.identity().createUser(owner, u[0], u[1], Optional.of(PASSWORD));
    }
    ana = services.identity().login("ana", PASSWORD, "127.0.0.1").token();
    bo = services.identity().login("bo", PASSWORD, "127.0.0.1").token();
    cleo = services.identity().login("cleo", PASSWORD, "127.0.0.1").token();
    Instant now = clock.instant();
    node = NodeId.random();
    other = NodeId.random();
    services.store().putNode(new NodeRecord(node, "hospital-a", 4, 1024, "test", new byte[32], now, now));
    services.store().putNode(new NodeRecord(other, "hospital-b", 4, 1024, "test", new byte[32], now, now));
    heart = services.store().putDataset(node, metadata("heart", Visibility.PRIVATE), now);
    services.store().putDataset(node, metadata("iris", Visibility.PUBLIC), now);
    services.datasets().grant(owner, heart.id(), "ana", true, false);
    coordinator = services.coordinator(OPTIONS);
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
  void theReportShowsTheConfigurationEveryRoundEpsilonContributionAndTheAuditTrail() throws Exception {
    JobId id = submit(ana, "{\"name\": \"iris dp\", \"datasets\": [\"iris\"], \"model\": {\"layers\": [{\"type\": \"dense\", \"units\": 4}, {\"type\": \"relu\"},"
        + " {\"type\": \"dense\", \"units\": 1}], \"loss\": \"binary_cross_entropy\"}, \"rounds\": 5, \"minNodes\": 1, \"standardize\": false,"
        + " \"sampleFraction\": 0.5, \"privacy\": {\"noiseMultiplier\": 1.1, \"clipNorm\": 0.7}}");
    for (int round = 1; round <= 3; round++) {
      completeRound(id, Map.of("loss", 1.0 / round, "accuracy", 0.5 + round / 10.0, "auc", 0.7), round == 3, List.of(), Map.of(node, 120L, other, 80L));
    }

    HttpResponse<String> res = get(ana, "/api/v1/jobs/" + id + "/report");
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    assertThat(res.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
    String html = res.body();
    assertThat(html).startsWith("<!DOCTYPE html>").contains("<style>").contains("<svg");
    // self-contained: no script, no external resource, nothing fetched
    assertThat(html).doesNotContainIgnoringCase("<script").doesNotContain("src=").doesNotContain("href=").doesNotContain("<link").doesNotContain("url(");
    // configuration, state and timings
    assertThat(html).contains("iris dp", id.value(), "completed", "3 of 5 completed", "ana")
        .contains("dense (units 4)", "relu", "dense (units 1)", "binary_cross_entropy", "fedavg")
        .contains("Sample fraction", "0.5", "noiseMultiplier 1.1", "clipNorm 0.7", "central")
        .contains(">iris<", ">public<")
        .contains("Ran for");
    // one point per round for each metric; ε for each round; all metrics, since public data is not held
    assertThat(count(html, "class=\"point\" data-series=\"loss\"")).isEqualTo(3);
    assertThat(count(html, "class=\"point\" data-series=\"accuracy\"")).isEqualTo(3);
    assertThat(count(html, "class=\"point\" data-series=\"auc\"")).isEqualTo(3);
    assertThat(count(html, "class=\"point\" data-series=\"ε at δ = 0.00001\"")).isEqualTo(3);
    assertThat(count(html, "<tr class=\"round\">")).isEqualTo(3);
    assertThat(html).contains("id=\"results-public\"");
    String epsilon3 = ChartPainter.number(CentralDp.epsilon(services.store().job(id).orElseThrow().spec().privacy(), 3), 0);
    assertThat(html).contains(epsilon3);
    // contribution: the training examples each node processed, summed over the rounds
    assertThat(html).contains("training examples processed of " + node + ": 360").contains("training examples processed of " + other + ": 240");
    assertThat(html).contains("Not available: the compute market is not wired into jobs yet");
    assertThat(actions(html)).containsExactly("job.submitted");

    // the officer sees the job and its report; another data scientist does not even learn it exists
    assertThat(get(cleo, "/api/v1/jobs/" + id + "/report").statusCode()).isEqualTo(200);
    HttpResponse<String> hidden = get(bo, "/api/v1/jobs/" + id + "/report");
    assertThat(hidden.statusCode()).isEqualTo(404);
    assertThat(Json.mapper().readTree(hidden.body()).get("code").asText()).isEqualTo("JOB_NOT_FOUND");
    assertThat(get(null, "/api/v1/jobs/" + id + "/report").statusCode()).isEqualTo(401);
  }

  @Test
  void aHeldJobsReportShowsLossAndAccuracyOnlyUntilTheReleaseIsApprovedAndEscapesWhatUsersAndNodesWrote() throws Exception {
    JobId id = submit(ana, "{\"name\": \"heart\", \"datasets\": [\"heart\"], \"model\": {\"layers\": [{\"type\": \"dense\", \"units\": 1}],"
        + " \"loss\": \"binary_cross_entropy\"}, \"rounds\": 2, \"minNodes\": 1, \"standardize\": false}");
    completeRound(id, Map.of("loss", 0.6, "accuracy", 0.7, "auc", 0.91), false, List.of(new NodeFailure(other, "fit", "training failed: " + SCRIPT)), Map.of());
    completeRound(id, Map.of("loss", 0.4, "accuracy", 0.8, "auc", 0.93), true, List.of(), Map.of());

    String held = report(ana, id);
    assertThat(held).contains("id=\"results-held\"").contains(">private<").contains(">heart<");
    assertThat(count(held, "class=\"point\" data-series=\"loss\"")).isEqualTo(2);
    assertThat(count(held, "class=\"point\" data-series=\"accuracy\"")).isEqualTo(2);
    assertThat(held).doesNotContain("auc").doesNotContain("0.91").doesNotContain("0.93");
    assertThat(report(cleo, id)).doesNotContain("auc"); // the officer too, until approved
    // what a node wrote is escaped
    assertThat(held).doesNotContainIgnoringCase("<script").contains("training failed: &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    // rounds recorded without examples per node: the other node delivered one update in two rounds
    assertThat(held).contains("updates delivered of " + other + ": 1").contains("rounds taken part in of " + other + ": 2");

    // a denial with a comment written by a person, then an approval
    String first = json(send(ana, "POST", "/api/v1/jobs/" + id + "/release-requests", "{\"reason\": \"paper " + SCRIPT + "\"}")).get("id").asText();
    send(cleo, "POST", "/api/v1/release-requests/" + first + "/deny", "{\"comment\": \"no: " + SCRIPT.replace("'", "\\u0027") + "\"}");
    String denied = report(ana, id);
    assertThat(denied).doesNotContain("auc").doesNotContainIgnoringCase("<script").contains("comment=no: &lt;script&gt;");
    String second = json(send(ana, "POST", "/api/v1/jobs/" + id + "/release-requests", "{\"reason\": \"revised\"}")).get("id").asText();
    assertThat(send(cleo, "POST", "/api/v1/release-requests/" + second + "/approve", "{\"comment\": \"fine\"}").statusCode()).isEqualTo(200);

    String released = report(ana, id);
    assertThat(released).contains("id=\"results-released\"");
    assertThat(count(released, "class=\"point\" data-series=\"auc\"")).isEqualTo(2);
    assertThat(released).contains("0.93");
    assertThat(actions(released)).containsExactly("job.submitted", "release.requested", "release.denied", "release.requested", "release.approved");
  }

  @Test
  void everyChartIsAPngOfTheSameData() throws Exception {
    JobId id = submit(ana, "{\"name\": \"pngs\", \"datasets\": [\"iris\"], \"model\": {\"layers\": [{\"type\": \"dense\", \"units\": 1}],"
        + " \"loss\": \"binary_cross_entropy\"}, \"rounds\": 4, \"minNodes\": 1, \"standardize\": false, \"privacy\": {\"noiseMultiplier\": 2}}");
    for (int round = 1; round <= 4; round++) completeRound(id, Map.of("loss", 1.0 / round, "accuracy", 0.4 + round / 10.0), round == 4, List.of(), Map.of(node, 50L, other, 70L));
    for (String name : Chart.NAMES) {
      HttpResponse<byte[]> res = http.send(request(ana, "GET", "/api/v1/jobs/" + id + "/report/charts/" + name + ".png", null).build(), BodyHandlers.ofByteArray());
      assertThat(res.statusCode()).as(name).isEqualTo(200);
      assertThat(res.headers().firstValue("Content-Type")).as(name).hasValue("image/png");
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(res.body()));
      assertThat(image).as(name + " decodes as an image").isNotNull();
      assertThat(image.getWidth()).isEqualTo(2 * ChartPainter.WIDTH);
      assertThat(image.getHeight()).isEqualTo(2 * ChartPainter.HEIGHT);
      assertThat(colours(image)).as("colours in " + name).isGreaterThan(20);
    }
    HttpResponse<String> unknown = get(ana, "/api/v1/jobs/" + id + "/report/charts/costs.png");
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(json(unknown).get("code").asText()).isEqualTo("CHART_NOT_FOUND");
    assertThat(json(get(bo, "/api/v1/jobs/" + id + "/report/charts/metrics.png")).get("code").asText()).isEqualTo("JOB_NOT_FOUND");
  }

  @Test
  void aJobWithoutRoundsOrPrivacySaysSoInsteadOfDrawingEmptyCharts() throws Exception {
    JobId id = submit(ana, "{\"name\": \"queued\", \"datasets\": [\"iris\"], \"model\": {\"layers\": [{\"type\": \"dense\", \"units\": 1}],"
        + " \"loss\": \"binary_cross_entropy\"}, \"rounds\": 2, \"minNodes\": 3}");
    String html = report(ana, id);
    assertThat(html).contains("queued").contains("no round has completed yet").contains("this job runs without differential privacy")
        .contains("No round has completed yet.");
    assertThat(count(html, "class=\"point\"")).isZero();
    HttpResponse<byte[]> png = http.send(request(ana, "GET", "/api/v1/jobs/" + id + "/report/charts/epsilon.png", null).build(), BodyHandlers.ofByteArray());
    assertThat(png.statusCode()).isEqualTo(200);
    assertThat(colours(ImageIO.read(new ByteArrayInputStream(png.body())))).isGreaterThan(2); // the note is drawn
  }

  // ---- helpers ----

  private static DatasetMetadata metadata(String name, Visibility visibility) {
    return new DatasetMetadata(name, DatasetFormat.CSV, List.of(3), List.of(), LabelInfo.categorical("y", List.of(60L, 40L)), 100, 20, List.of(), visibility);
  }

  /** Records the job's next round on both nodes (and optionally finishes the job) as the job runner would. */
  private void completeRound(JobId id, Map<String, Double> metrics, boolean finish, List<NodeFailure> failures, Map<NodeId, Long> contributions) {
    Job job = services.store().job(id).orElseThrow();
    Checkpoint initial = services.store().latestCheckpoint(id).orElseThrow();
    int round = job.completedRounds() + 1;
    Instant now = Instant.now();
    Double epsilon = job.spec().privacy() == null ? null : CentralDp.epsilon(job.spec().privacy(), round);
    Job running = new Job(id, job.spec(), JobState.RUNNING, round, "running", job.createdAt(), now.minusSeconds(5), null, metrics, job.owner());
    var summary = new RoundSummary(id, round, now.minusSeconds(1), now, List.of(node, other), 2 - failures.size(), 200, failures, Map.of("loss", 0.5), metrics, epsilon,
        contributions);
    services.store().completeRound(running, summary, new Checkpoint(round, initial.parameters(), initial.strategyState()));
    if (finish) services.store().updateJob(new Job(id, job.spec(), JobState.COMPLETED, round, "", job.createdAt(), now.minusSeconds(5), now, metrics, job.owner()));
  }

  private JobId submit(String token, String spec) throws Exception {
    HttpResponse<String> res = send(token, "POST", "/api/v1/jobs", spec);
    assertThat(res.statusCode()).as(res.body()).isEqualTo(201);
    return JobId.of(json(res).get("id").asText());
  }

  private String report(String token, JobId id) throws Exception {
    HttpResponse<String> res = get(token, "/api/v1/jobs/" + id + "/report");
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    return res.body();
  }

  /** The audit actions listed in a report, in order. */
  private static List<String> actions(String html) {
    return Pattern.compile("<tr class=\"event\" data-action=\"([^\"]+)\"").matcher(html).results().map(m -> m.group(1)).toList();
  }

  private static int count(String text, String part) {
    int n = 0;
    for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) n++;
    return n;
  }

  private static int colours(BufferedImage image) {
    var seen = new HashSet<Integer>();
    for (int y = 0; y < image.getHeight(); y += 2) {
      for (int x = 0; x < image.getWidth(); x += 2) seen.add(image.getRGB(x, y));
    }
    return seen.size();
  }

  private HttpRequest.Builder request(String token, String method, String path, String body) {
    var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(20));
    if (token != null) b.header("Authorization", "Bearer " + token);
    return b.method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body)).header("Content-Type", "application/json");
  }

  private HttpResponse<String> send(String token, String method, String path, String body) throws Exception {
    return http.send(request(token, method, path, body).build(), BodyHandlers.ofString(StandardCharsets.UTF_8));
  }

  private HttpResponse<String> get(String token, String path) throws Exception {
    return send(token, "GET", path, null);
  }

  private static JsonNode json(HttpResponse<String> res) throws Exception {
    return Json.mapper().readTree(res.body());
  }
}
