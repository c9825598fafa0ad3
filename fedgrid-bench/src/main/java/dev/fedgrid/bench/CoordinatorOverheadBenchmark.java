package dev.fedgrid.bench;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.UserId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.gateway.access.JoinTokens;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.fleet.NodeHello;
import dev.fedgrid.gateway.fleet.TaskAssignment;
import dev.fedgrid.gateway.fleet.TaskKind;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.gateway.state.JobEvent;
import dev.fedgrid.gateway.state.SqlStateStore;
import dev.fedgrid.gateway.state.StateStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * End-to-end benchmark: the coordinator's own cost per round with 100 nodes, without training or
 * transfer, against the durable SQLite commits such a round needs, in the same run.
 *
 * <p>The real {@link Coordinator} runs in-process with default {@link CoordinatorOptions} on an
 * {@link SqlStateStore} in a temporary SQLite file. 100 virtual nodes enrol (with join tokens) through its {@link
 * dev.fedgrid.gateway.fleet.FleetBackend} side, as the gRPC service would for real nodes, each
 * with a small CSV dataset, and send heartbeats at the interval the coordinator asks for. Each
 * virtual node long-polls for tasks and answers at once: a fit task with its start parameters
 * moved by a small step, an evaluate task with fixed metrics. The job is logistic regression (a
 * few parameters) with FedAvg and every node in every round, so what a round costs is the
 * coordinator's: dispatching 2 × 100 tasks, folding 100 updates, averaging metrics, storing the
 * round's summary and checkpoint and its events.
 *
 * <p>A round's wall time is the time between the job's consecutive {@code round_completed} events
 * (for round 1, since the {@code started} event), as stamped by the coordinator's clock. Such a
 * round takes milliseconds, so the defaults are a warm-up job of 20 rounds (untimed, for the JIT)
 * and three measured jobs of 30 rounds. The round's commits are its events plus the transaction that stores
 * its summary and checkpoint; node heartbeats commit on their own schedule (at most one per node
 * per heartbeat interval), not per round.
 *
 * <p>Baseline: on another SQLite file with the store's settings (WAL, {@code synchronous=FULL}),
 * per round as many bare transactions as a round commits (the median over the rounds), each
 * inserting one row of 1 KiB; the time of one such batch is what the round's commits cost with
 * nothing else around them. One such batch is timed per measured round, in a block after each
 * measured job, so that rounds and baseline sample the same stretch of time on a shared machine.
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "fedgrid-bench/target/fedgrid-bench-0.1.0-SNAPSHOT.jar:fedgrid-cli/target/fedgrid-cli.jar:fedgrid-cli/target/lib/*" \
 *     dev.fedgrid.bench.CoordinatorOverheadBenchmark [--nodes 100] [--jobs 3] [--rounds 30] [--warmup-rounds 20] [--features 8] [--dir PARENT] [--out report.md]
 * </pre>
 *
 * {@code --dir} puts the SQLite files under another directory than the system's temporary one:
 * on a tmpfs such as {@code /dev/shm} a commit costs no disk flush, which leaves the coordinator's
 * own work. Writes {@code fedgrid-bench/target/reports/coordinator-overhead.md}. Gateway logging is at WARN
 * unless {@code -Dorg.slf4j.simpleLogger.defaultLogLevel} says otherwise.
 */
public final class CoordinatorOverheadBenchmark {
  private static final int BASELINE_ROW_BYTES = 1024;
  private static final Principal OWNER = new Principal(UserId.random(), "bench", "data-scientist", Set.of(Permission.MAKE_DATA_REQUESTS));
  /** Issues the join tokens the virtual nodes enrol with. */
  private static final Principal OPERATOR = new Principal(UserId.random(), "bench-ops", "administrator", Set.of(Permission.MANAGE_INFRASTRUCTURE));

  private CoordinatorOverheadBenchmark() {}

  /** One measured round: wall time and transactions committed. */
  record Round(int round, double millis, int commits) {}

  public static void main(String[] args) throws Exception {
    int nodes = 100;
    int rounds = 30;
    int jobs = 3;
    int warmupRounds = 20;
    int features = 8;
    Path parent = null;
    Path out = Path.of("fedgrid-bench/target/reports/coordinator-overhead.md");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--nodes" -> nodes = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--jobs" -> jobs = Integer.parseInt(args[++i]);
        case "--warmup-rounds" -> warmupRounds = Integer.parseInt(args[++i]);
        case "--features" -> features = Integer.parseInt(args[++i]);
        case "--dir" -> parent = Path.of(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        default -> {
          System.err.println("unknown option " + args[i] + "; see the class javadoc");
          System.exit(2);
        }
      }
    }
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    long started = System.nanoTime();
    Path dir = parent == null ? Files.createTempDirectory("fedgrid-coordinator-") : Files.createTempDirectory(parent, "fedgrid-coordinator-");
    String where = fileSystem(dir);
    SqlStateStore store = SqlStateStore.sqlite(dir.resolve("gateway.db"));
    var audit = new AuditLog(store.database(), Clock.systemUTC());
    var joinTokens = new JoinTokens(store.database(), audit, Clock.systemUTC());
    CoordinatorOptions options = CoordinatorOptions.defaults();
    var measured = new ArrayList<Round>();
    var baseline = new ArrayList<Double>();
    int commits = 0;
    var fleet = new ArrayList<VirtualNode>();
    try (var coordinator = new Coordinator(store, audit, Clock.systemUTC(), options);
        var bare = new BareCommits(dir.resolve("baseline.db"))) {
      coordinator.start();
      try {
        for (int i = 0; i < nodes; i++) {
          long rows = 200 + 10L * i;
          String name = "virtual-" + (i + 1);
          String joinToken = joinTokens.issue(OPERATOR, Optional.of(name), Duration.ofHours(1)).token();
          var hello = new NodeHello(Optional.empty(), Optional.empty(), name, 2, 1024, "bench", List.of(metadata(rows, features)), Optional.of(joinToken));
          NodeId id = coordinator.register(hello).nodeId();
          fleet.add(new VirtualNode(coordinator, id, rows, options.heartbeatInterval()).start());
        }
        if (warmupRounds > 0) {
          System.err.println("== warm-up job, " + warmupRounds + " rounds on " + nodes + " nodes");
          runJob(coordinator, store, spec(warmupRounds, nodes));
        }
        for (int j = 0; j < jobs; j++) {
          System.err.println("== measured job " + (j + 1) + " of " + jobs + ", " + rounds + " rounds on " + nodes + " nodes");
          List<Round> job = rounds(store.events(runJob(coordinator, store, spec(rounds, nodes)), 0));
          for (Round r : job) System.err.printf(Locale.ROOT, "  round %d: %.1f ms, %d commits%n", r.round(), r.millis(), r.commits());
          measured.addAll(job);
          if (j == 0) {
            commits = (int) Math.round(Stats.median(job.stream().mapToDouble(Round::commits).toArray()));
            bare.time(commits); // warm-up
          }
          System.err.println("== baseline: " + commits + " bare SQLite commits, " + rounds + " times");
          for (int r = 0; r < rounds; r++) baseline.add(bare.time(commits));
        }
      } finally {
        fleet.forEach(VirtualNode::stop);
      }
    } finally {
      store.close();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }

    String report = render(measured, baseline.stream().mapToDouble(Double::doubleValue).toArray(), commits, nodes, features, jobs, warmupRounds, options, where, (System.nanoTime() - started) / 1e9, String.join(" ", args));
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, report);
    System.out.println(report);
    System.out.println("Report written to " + out.toAbsolutePath());
  }

  private static JobSpec spec(int rounds, int nodes) {
    return new JobSpec("coordinator overhead", List.of("bench"), ModelSpec.logisticRegression(), TrainingConfig.defaults(), new StrategyConfig.FedAvg(),
        rounds, nodes, 60, true);
  }

  private static DatasetMetadata metadata(long rows, int features) {
    var columns = new ArrayList<ColumnStats>();
    for (int j = 0; j < features; j++) columns.add(new ColumnStats("x" + j, rows, j, 1 + j));
    return new DatasetMetadata("bench", DatasetFormat.CSV, List.of(features), columns, LabelInfo.categorical("y", List.of(rows / 2, rows - rows / 2)),
        rows, rows / 10, List.of(), Visibility.PRIVATE);
  }

  private static JobId runJob(Coordinator coordinator, StateStore store, JobSpec spec) throws InterruptedException {
    Job job = coordinator.submitJob(OWNER, spec);
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (!job.state().isTerminal()) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("job " + job.id() + " did not finish in 10 minutes: " + job.message());
      Thread.sleep(20);
      job = store.job(job.id()).orElseThrow();
    }
    if (job.state() != JobState.COMPLETED) throw new IllegalStateException("job " + job.id() + " ended " + job.state().wireName() + ": " + job.message());
    return job.id();
  }

  /** Where the SQLite files live: the directory and its file system's type. */
  private static String fileSystem(Path dir) {
    try {
      return "under " + dir.getParent() + ", file system " + Files.getFileStore(dir).type();
    } catch (IOException e) {
      return "under " + dir.getParent();
    }
  }

  /**
   * The rounds of a job from its event log: each ends with its {@code round_completed} event and
   * starts where the previous one (or the {@code started} event) ended; its commits are the events
   * in between plus the one that stored its summary and checkpoint.
   */
  static List<Round> rounds(List<JobEvent> events) {
    var rounds = new ArrayList<Round>();
    JobEvent previous = null;
    int since = 0;
    for (JobEvent e : events) {
      if (previous == null) {
        if (e.type().equals("started")) previous = e;
        continue;
      }
      since++;
      if (e.type().equals("round_completed")) {
        rounds.add(new Round(rounds.size() + 1, Duration.between(previous.at(), e.at()).toNanos() / 1e6, since + 1));
        previous = e;
        since = 0;
      }
    }
    return rounds;
  }

  /**
   * The baseline: bare transactions of one 1 KiB insert each on its own SQLite file, in WAL mode
   * with {@code synchronous=FULL} like the state store. Not thread-safe.
   */
  private static final class BareCommits implements AutoCloseable {
    private final Connection connection;
    private final PreparedStatement insert;
    private final byte[] payload = new byte[BASELINE_ROW_BYTES];

    BareCommits(Path file) throws SQLException {
      connection = DriverManager.getConnection("jdbc:sqlite:" + file);
      try (Statement s = connection.createStatement()) {
        s.execute("PRAGMA journal_mode=WAL");
        s.execute("PRAGMA synchronous=FULL");
        s.execute("CREATE TABLE bench_commit (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)");
      }
      connection.setAutoCommit(false);
      insert = connection.prepareStatement("INSERT INTO bench_commit (payload) VALUES (?)");
    }

    /** Milliseconds for {@code commits} transactions, one after the other. */
    double time(int commits) throws SQLException {
      long t = System.nanoTime();
      for (int i = 0; i < commits; i++) {
        insert.setBytes(1, payload);
        insert.executeUpdate();
        connection.commit();
      }
      return (System.nanoTime() - t) / 1e6;
    }

    @Override
    public void close() throws SQLException {
      insert.close();
      connection.close();
    }
  }

  static String render(
      List<Round> rounds, double[] baseline, int commits, int nodes, int features, int jobs, int warmupRounds, CoordinatorOptions options, String fileSystem,
      double wallSeconds, String args) {
    double[] wall = rounds.stream().mapToDouble(Round::millis).toArray();
    double[] commitCounts = rounds.stream().mapToDouble(Round::commits).toArray();
    var md = new StringBuilder();
    md.append("# Coordinator overhead per round\n\n");
    md.append("Measured ").append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE))
        .append(" (UTC) by `dev.fedgrid.bench.CoordinatorOverheadBenchmark").append(args.isEmpty() ? "" : " " + args)
        .append("` in ").append(String.format(Locale.ROOT, "%.0f", wallSeconds)).append(" s.\n\n");
    md.append("The real `Coordinator` in-process on an `SqlStateStore` in a temporary SQLite file (").append(fileSystem).append("), default options (heartbeat ")
        .append(options.heartbeatInterval().toSeconds()).append(" s, node timeout ").append(options.nodeTimeout().toSeconds()).append(" s). ")
        .append(nodes).append(" virtual nodes enrol with join tokens through its `FleetBackend` methods (what the gRPC service calls), each with a CSV dataset of ")
        .append(features).append(" features, send heartbeats at the interval asked for, long-poll for tasks and answer at once: a fit task with the start ")
        .append("parameters moved by a small step, an evaluate task with fixed metrics. No training, no network, no serialization. ");
    md.append("The job: logistic regression (").append(features + 1).append(" parameters), FedAvg, every node in every round, ")
        .append(jobs).append(" jobs of ").append(rounds.size() / Math.max(jobs, 1)).append(" rounds after an untimed warm-up job of ").append(warmupRounds).append(" rounds. ");
    md.append("A round's wall time is the time between consecutive `round_completed` events of the job (round 1: since the `started` event), as the coordinator's clock ")
        .append("stamped them: 2 × ").append(nodes).append(" tasks dispatched, polled and answered, ").append(nodes)
        .append(" updates folded, metrics averaged, the round's summary, checkpoint and events stored. A round's commits are its events plus the transaction that stores ")
        .append("its summary and checkpoint; heartbeats commit on their own schedule (at most one per node per heartbeat interval), not per round.\n\n");
    md.append("Baseline: on another SQLite file with the store's settings (WAL, `synchronous=FULL`), ").append(commits)
        .append(" bare transactions per round (the median number of commits of a round above), each inserting one ")
        .append(BASELINE_ROW_BYTES).append("-byte row, timed ").append(baseline.length).append(" times after one untimed batch, in a block after each job (one batch per round of the job), ")
        .append("so that both sample the same stretch of time. It is the floor a durable round with that many commits cannot go under.\n\n");
    md.append("Gateway logging at ").append(System.getProperty("org.slf4j.simpleLogger.defaultLogLevel")).append(" (the gateway's default is info, one line per task).\n\n");
    md.append("## Machine\n\n| | |\n|---|---|\n").append(Machine.tableRows()).append('\n');
    md.append("## Results\n\n");
    md.append("| | median | p90 | min | max |\n|---|---:|---:|---:|---:|\n");
    row(md, "round wall time (ms)", wall);
    row(md, "commits per round", commitCounts);
    row(md, "baseline: " + commits + " bare commits (ms)", baseline);
    md.append(String.format(Locale.ROOT, "%nRound wall time over the baseline: %.1f (median), %.1f (p90). Per node and round: %.3f ms (median).%n",
        Stats.median(wall) / Stats.median(baseline), Stats.percentile(wall, 90) / Stats.percentile(baseline, 90), Stats.median(wall) / nodes));
    md.append("\n### Per round\n\nThe jobs one after the other.\n\n| round | wall time (ms) | commits |\n|---:|---:|---:|\n");
    for (Round r : rounds) md.append(String.format(Locale.ROOT, "| %d | %.1f | %d |%n", r.round(), r.millis(), r.commits()));
    return md.toString();
  }

  private static void row(StringBuilder md, String label, double[] samples) {
    md.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.2f |%n", label, Stats.median(samples), Stats.percentile(samples, 90),
        Arrays.stream(samples).min().orElseThrow(), Stats.percentile(samples, 100)));
  }

  /**
   * A node that answers every task at once: fit with the start parameters plus a small step,
   * evaluate with fixed metrics. Sends heartbeats at the coordinator's interval.
   */
  private static final class VirtualNode {
    private final Coordinator coordinator;
    private final NodeId id;
    private final long rows;
    private final Duration heartbeat;
    private volatile boolean running = true;
    private Thread poller;
    private Thread beater;

    VirtualNode(Coordinator coordinator, NodeId id, long rows, Duration heartbeat) {
      this.coordinator = coordinator;
      this.id = id;
      this.rows = rows;
      this.heartbeat = heartbeat;
    }

    VirtualNode start() {
      poller = Thread.ofVirtual().name("virtual-node-" + id).start(this::poll);
      beater = Thread.ofVirtual().start(() -> {
        try {
          while (running) {
            coordinator.heartbeat(id);
            Thread.sleep(heartbeat);
          }
        } catch (InterruptedException e) {
          // stopping
        }
      });
      return this;
    }

    void stop() {
      running = false;
      poller.interrupt();
      beater.interrupt();
      try {
        poller.join(Duration.ofSeconds(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private void poll() {
      while (running) {
        try {
          Optional<TaskAssignment> task = coordinator.pollTask(id, Duration.ofSeconds(30));
          if (task.isEmpty()) continue;
          TaskAssignment t = task.get();
          Parameters start = coordinator.taskParameters(id, t.id());
          if (t.kind() == TaskKind.FIT) {
            float[] next = start.values().clone();
            for (int i = 0; i < next.length; i++) next[i] += 0.01f * (i + 1);
            coordinator.completeFit(id, t.id(), new Parameters(start.layout(), next), rows, Map.of("loss", 0.5));
          } else {
            coordinator.completeEvaluation(id, t.id(), rows / 10, Map.of("accuracy", 0.9));
          }
        } catch (InterruptedException e) {
          return;
        } catch (RuntimeException e) {
          if (running) System.err.println("virtual node " + id + ": " + e.getMessage());
        }
      }
    }
  }
}
