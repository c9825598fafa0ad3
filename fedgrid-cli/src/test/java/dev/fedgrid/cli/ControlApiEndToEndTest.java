package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.node.NodeInfo;
import dev.fedgrid.api.node.NodeStatus;
import dev.fedgrid.cli.CliHelpTest.Run;
import dev.fedgrid.client.FedGridClient;
import dev.fedgrid.client.Page;
import dev.fedgrid.core.io.Safetensors;
import dev.fedgrid.gateway.control.ControlServer;
import dev.fedgrid.gateway.control.GatewayControl;
import dev.fedgrid.gateway.control.ModelArtifact;
import dev.fedgrid.gateway.state.JobEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLI and the SDK against the real control API server (over a small in-memory {@link
 * GatewayControl}): the two sides of the wire agree on every JSON shape, the event stream and the
 * model file.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ControlApiEndToEndTest {
  static final Instant T0 = Instant.parse("2026-11-02T10:15:30Z");

  private Control control;
  private ControlServer server;
  private String url;

  @BeforeEach
  void start() {
    control = new Control();
    server = ControlServer.start(control, "127.0.0.1", 0);
    url = "http://127.0.0.1:" + server.port();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private Run run(String... args) {
    var all = new ArrayList<>(List.of(args));
    all.add("--gateway");
    all.add(url);
    return CliHelpTest.run(all.toArray(String[]::new));
  }

  @Test
  void submitWatchAndDownloadThroughTheRealServer(@TempDir Path dir) throws Exception {
    Run list = run("dataset", "list", "--json");
    assertThat(list.code()).as(list.err()).isZero();
    assertThat(CliCommandsTest.JSON.readTree(list.out()).at("/items/0/metadata/name").asText()).isEqualTo("heart");

    Run submit = run("job", "submit", "--dataset", "heart", "--model", "mlp:8", "--rounds", "2", "--strategy", "fedyogi",
        "--server-lr", "0.05", "--epochs", "3", "--optimizer", "adam", "--round-timeout", "2m");
    assertThat(submit.code()).as(submit.err()).isZero();
    JobId id = JobId.of(submit.out().strip());
    JobSpec accepted = control.job(id).spec();
    assertThat(accepted.training().epochs()).isEqualTo(3);
    assertThat(accepted.strategy().name()).isEqualTo("fedyogi");
    assertThat(accepted.roundTimeoutSeconds()).isEqualTo(120);
    assertThat(accepted.model().layers()).hasSize(3);

    CompletableFuture<Run> watch = CompletableFuture.supplyAsync(() -> run("job", "watch", id.value()));
    Thread.sleep(300);
    control.advance(id, 1, Map.of("accuracy", 0.8));
    control.advance(id, 2, Map.of("accuracy", 0.875));
    control.finish(id, JobState.COMPLETED);
    Run watched = watch.get(30, TimeUnit.SECONDS);
    assertThat(watched.code()).as(watched.err()).isZero();
    assertThat(watched.out()).contains("completed after 2/2 rounds").contains("accuracy  0.8750");

    Run show = run("job", "show", id.value(), "--json");
    JsonNode shown = CliCommandsTest.JSON.readTree(show.out());
    assertThat(shown.at("/rounds/1/evalMetrics/accuracy").asDouble()).isEqualTo(0.875);

    Run download = run("model", "download", id.value(), "--out", dir.toString());
    assertThat(download.code()).as(download.err()).isZero();
    Parameters read = Safetensors.read(Files.readAllBytes(dir.resolve("model.safetensors")));
    assertThat(read).isEqualTo(control.model(id).parameters());
    JsonNode description = CliCommandsTest.JSON.readTree(dir.resolve("model.json").toFile());
    assertThat(description.get("round").asInt()).isEqualTo(2);
    assertThat(description.at("/scaling/scale/0").asDouble()).isEqualTo(2.0);
    assertThat(description.at("/layout/tensors/0/shape").toString()).isEqualTo("[8,2]");
  }

  @Test
  void serverErrorsReachTheCommandLine() {
    Run missing = run("job", "show", JobId.random().value());
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).startsWith("error: there is no job").endsWith("(JOB_NOT_FOUND)\n");

    Run invalid = run("job", "submit", "--dataset", "heart", "--model", "logistic", "--epochs", "0");
    assertThat(invalid.code()).isEqualTo(1);
    assertThat(invalid.err()).isEqualTo("error: epochs must be in [1, 1000], got 0 (INVALID_TRAINING_CONFIG)\n");

    JobId running = control.add(JobState.RUNNING);
    Run delete = run("job", "delete", running.value());
    assertThat(delete.code()).isEqualTo(1);
    assertThat(delete.err()).contains("(JOB_ACTIVE)");
    Run noModel = run("model", "download", running.value());
    assertThat(noModel.err()).contains("(MODEL_NOT_READY)");
  }

  @Test
  void theSdkPagesThroughTheServer() {
    var created = new ArrayList<JobId>();
    for (int i = 0; i < 5; i++) created.add(control.add(i % 2 == 0 ? JobState.QUEUED : JobState.FAILED));
    try (var client = FedGridClient.builder().baseUri(url).build()) {
      var seen = new ArrayList<JobId>();
      String cursor = null;
      do {
        Page<Job> page = client.jobs(List.of(), cursor, 2);
        page.items().forEach(j -> seen.add(j.id()));
        cursor = page.nextCursor();
      } while (cursor != null);
      assertThat(seen).containsExactlyElementsOf(created.reversed());
      assertThat(client.jobs(List.of(JobState.FAILED), null, 0).items()).hasSize(2);
      assertThat(client.health().status()).isEqualTo("ok");
      assertThat(client.nodes()).hasSize(1);
    }
  }

  /** Enough of a gateway for the wire: a catalogue of one dataset, jobs, rounds, events, models. */
  static final class Control implements GatewayControl {
    private final NodeInfo node = new NodeInfo(NodeId.random(), "hospital-a", NodeStatus.ONLINE, 2, 4096, "dev", T0, T0, null);
    private final DatasetInfo heart = new DatasetInfo(DatasetId.random(), node.id(), new DatasetMetadata(
        "heart", DatasetFormat.CSV, List.of(2), List.of(), LabelInfo.categorical("y", List.of(5L, 5L)), 10, 2, List.of(), Visibility.PUBLIC), T0);
    private final Map<JobId, Job> jobs = new LinkedHashMap<>();
    private final Map<JobId, List<JobEvent>> events = new LinkedHashMap<>();
    private final Map<JobId, List<RoundSummary>> rounds = new LinkedHashMap<>();

    synchronized JobId add(JobState state) {
      JobSpec spec = new JobSpec("fixture", List.of("heart"), dev.fedgrid.api.model.ModelSpec.logisticRegression(), null, null, 2, 1, null, null);
      Job job = new Job(JobId.random(), spec, state, 0, "", T0, null, null, Map.of());
      jobs.put(job.id(), job);
      events.put(job.id(), new ArrayList<>());
      try {
        Thread.sleep(2); // ids sort by creation time
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return job.id();
    }

    private void event(JobId id, String type, String message) {
      List<JobEvent> log = events.get(id);
      log.add(new JobEvent(id, log.size() + 1, type, message, Instant.now()));
      notifyAll();
    }

    synchronized void advance(JobId id, int round, Map<String, Double> metrics) {
      Job j = jobs.get(id);
      jobs.put(id, new Job(id, j.spec(), JobState.RUNNING, round, "running", j.createdAt(), T0, null, metrics));
      rounds.computeIfAbsent(id, k -> new ArrayList<>()).add(new RoundSummary(id, round, T0, T0.plusSeconds(1), List.of(node.id()), 1, 10, List.of(), Map.of("loss", 0.5), metrics));
      event(id, "round_completed", "round " + round + "/" + j.spec().rounds() + ": accuracy " + metrics.get("accuracy") + " (1/1 updates, 10 examples)");
    }

    synchronized void finish(JobId id, JobState state) {
      Job j = jobs.get(id);
      jobs.put(id, new Job(id, j.spec(), state, j.completedRounds(), "", j.createdAt(), T0, T0.plusSeconds(5), j.metrics()));
      event(id, state.wireName(), state.wireName());
    }

    @Override
    public synchronized Job submitJob(JobSpec spec) {
      if (!spec.datasets().contains("heart")) throw new NotFoundException("DATASET_NOT_FOUND", "no dataset " + spec.datasets());
      spec.model().checkFits(heart.metadata().featureShape(), heart.metadata().label());
      Job job = new Job(JobId.random(), spec, JobState.QUEUED, 0, "", T0, null, null, Map.of());
      jobs.put(job.id(), job);
      events.put(job.id(), new ArrayList<>());
      event(job.id(), "queued", "queued");
      return job;
    }

    @Override
    public synchronized Job job(JobId id) {
      Job job = jobs.get(id);
      if (job == null) throw new NotFoundException("JOB_NOT_FOUND", "there is no job " + id);
      return job;
    }

    @Override
    public synchronized List<Job> jobs(List<JobState> states, Optional<JobId> after, int limit) {
      return jobs.values().stream().sorted(Comparator.comparing(Job::id).reversed())
          .filter(j -> states.isEmpty() || states.contains(j.state()))
          .filter(j -> after.isEmpty() || j.id().compareTo(after.get()) < 0)
          .limit(limit).toList();
    }

    @Override
    public synchronized Job cancelJob(JobId id) {
      finish(id, JobState.CANCELLED);
      return job(id);
    }

    @Override
    public synchronized void deleteJob(JobId id) {
      if (!job(id).state().isTerminal()) throw new ConflictException("JOB_ACTIVE", "job " + id + " is still active; cancel it first");
      jobs.remove(id);
    }

    @Override
    public synchronized List<RoundSummary> rounds(JobId id) {
      job(id);
      return List.copyOf(rounds.getOrDefault(id, List.of()));
    }

    @Override
    public synchronized List<JobEvent> events(JobId id, long afterSeq, Duration maxWait) throws InterruptedException {
      long deadline = System.nanoTime() + maxWait.toNanos();
      while (true) {
        job(id);
        List<JobEvent> log = events.get(id);
        if (log.size() > afterSeq) return List.copyOf(log.subList((int) afterSeq, log.size()));
        long left = deadline - System.nanoTime();
        if (left <= 0) return List.of();
        wait(Math.max(1, left / 1_000_000));
      }
    }

    @Override
    public List<NodeInfo> nodes() {
      return List.of(node);
    }

    @Override
    public NodeInfo node(NodeId id) {
      if (!id.equals(node.id())) throw new NotFoundException("NODE_NOT_FOUND", "there is no node " + id);
      return node;
    }

    @Override
    public List<DatasetInfo> datasets(Optional<String> name, Optional<String> tag) {
      return name.isPresent() && !name.get().equals("heart") ? List.of() : List.of(heart);
    }

    @Override
    public DatasetInfo dataset(DatasetId id) {
      if (!id.equals(heart.id())) throw new NotFoundException("DATASET_NOT_FOUND", "there is no dataset " + id);
      return heart;
    }

    @Override
    public synchronized ModelArtifact model(JobId id) {
      Job job = job(id);
      if (job.completedRounds() == 0) throw new ConflictException("MODEL_NOT_READY", "job " + id + " has no completed round yet");
      var layout = job.spec().model().parameterLayout(List.of(2));
      float[] values = new float[layout.size()];
      for (int i = 0; i < values.length; i++) values[i] = i * 0.25f - 1;
      return new ModelArtifact(id, job.completedRounds(), job.spec().model(), List.of(2),
          new FeatureScaling(List.of(0.0, 1.0), List.of(2.0, 4.0)), new Parameters(layout, values));
    }
  }
}
