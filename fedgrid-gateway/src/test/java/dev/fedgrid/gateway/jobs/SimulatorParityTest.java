package dev.fedgrid.gateway.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.UserId;
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
import dev.fedgrid.core.round.RoundTask;
import dev.fedgrid.gateway.access.JoinTokens;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.fleet.NodeHello;
import dev.fedgrid.gateway.state.SqlStateStore;
import dev.fedgrid.ml.EvalResult;
import dev.fedgrid.ml.FitResult;
import dev.fedgrid.sim.FaultPlan;
import dev.fedgrid.sim.NodeWork;
import dev.fedgrid.sim.Simulation;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The simulator and the real grid run the same round code ({@link dev.fedgrid.core.round.RoundDriver}):
 * the same job, seed and node updates give bit-identical global parameters after every round,
 * whether the updates travel through the gateway's coordinator (mailboxes, the fleet backend's
 * calls, SQLite checkpoints) or through {@code fedgrid-sim}'s in-memory fleet.
 *
 * <p>Node {@code i} sends every parameter equal to its own small dyadic value and the same number of
 * examples: with four equally weighted such updates every float operation of the running mean is
 * exact, so the aggregate does not depend on the order in which updates arrive, which the two
 * transports cannot be made to share (see {@link dev.fedgrid.core.round.RoundDriver}). The server
 * optimizer of FedAvgM then works on that exact mean.
 *
 * <p>With Poisson sampling (q < 1) the two sides draw the participants from one seeded generator
 * each, injected in the same place ({@link Coordinator#samplingSource} on the gateway, the
 * simulation's seed in the simulator), over the eligible nodes in the same order (registration
 * order on the gateway, index order in the simulator). The test picks a seed whose draws give only
 * 1, 2 or 4 participants per round: equally weighted means of 1, 2 or 4 dyadic values are exact in
 * float whatever the order of arrival, so bit-identical parameters then show that both sides
 * sampled the same nodes and aggregated them with the same code.
 */
class SimulatorParityTest {
  private static final float[] STEPS = {0.25f, 0.5f, -0.75f, 1.0f};
  /** Eight nodes for the sampled rounds, every value distinct so that a different sample gives a different mean. */
  private static final float[] SAMPLED_STEPS = {0.25f, 0.5f, -0.75f, 1.0f, 0.125f, -0.5f, 1.5f, -0.25f};
  private static final double Q = 0.5;
  private static final int SAMPLED_ROUNDS = 4;
  private static final long ROWS = 80;

  @TempDir Path dir;

  @Test
  void theSimulatorAndTheGatewayGiveIdenticalAggregates() throws Exception {
    for (StrategyConfig strategy : List.of(new StrategyConfig.FedAvg(), new StrategyConfig.FedAvgM(1.0, 0.5))) {
      var spec = new JobSpec("parity", List.of("cancer"), ModelSpec.logisticRegression(), TrainingConfig.defaults(), strategy, 3, 4, 10, true);
      Parameters gateway = viaGateway(spec, dir.resolve(strategy.name()), STEPS, null).parameters();
      Simulation sim = new Simulation(spec, spec.model().parameterLayout(List.of(2)), STEPS.length, new Steps(STEPS), FaultPlan.none(), 42);
      var rounds = sim.run(r -> {});
      assertThat(rounds).hasSize(3).allSatisfy(r -> assertThat(r.updates()).isEqualTo(4));
      assertThat(sim.parameters()).as(strategy.name()).isEqualTo(gateway);
    }
  }

  @Test
  void withPoissonSamplingTheSameSeedDrawsTheSameNodesAndGivesIdenticalAggregates() throws Exception {
    long seed = seedWithExactSamples();
    for (StrategyConfig strategy : List.of(new StrategyConfig.FedAvg(), new StrategyConfig.FedAvgM(1.0, 0.5))) {
      var spec = new JobSpec("parity", List.of("cancer"), ModelSpec.logisticRegression(), TrainingConfig.defaults(), strategy, SAMPLED_ROUNDS, 1, 10, true,
          null, null, Q);
      GatewayRun gateway = viaGateway(spec, dir.resolve("sampled-" + strategy.name()), SAMPLED_STEPS, seed);
      Simulation sim = new Simulation(spec, spec.model().parameterLayout(List.of(2)), SAMPLED_STEPS.length, new Steps(SAMPLED_STEPS), FaultPlan.none(), seed);
      var simulated = new ArrayList<Set<Integer>>();
      var rounds = sim.run(r -> simulated.add(new java.util.TreeSet<>(r.contributions().keySet().stream().map(dev.fedgrid.sim.VirtualNodes::index).toList())));

      assertThat(rounds).hasSize(SAMPLED_ROUNDS).allSatisfy(r -> assertThat(r.outcome()).isEqualTo("completed"));
      assertThat(simulated).as("participants per round, %s", strategy.name()).isEqualTo(gateway.participants());
      assertThat(simulated).as("the sample varies and is never everyone").extracting(Set::size).contains(1, 2, 4).doesNotContain(SAMPLED_STEPS.length);
      assertThat(sim.parameters()).as(strategy.name()).isEqualTo(gateway.parameters());
    }
  }

  /**
   * The first seed whose {@value #SAMPLED_ROUNDS} Poisson draws over the eight nodes take 1, 2 and
   * 4 nodes (each size at least once), drawn with the round driver's own {@link
   * dev.fedgrid.core.dp.PoissonSampling} from one generator as both sides do.
   */
  private static long seedWithExactSamples() {
    List<Integer> nodes = java.util.stream.IntStream.range(0, SAMPLED_STEPS.length).boxed().toList();
    for (long seed = 1; ; seed++) {
      var random = new java.util.SplittableRandom(seed);
      var sizes = new ArrayList<Integer>();
      for (int r = 0; r < SAMPLED_ROUNDS; r++) sizes.add(dev.fedgrid.core.dp.PoissonSampling.sample(nodes, Q, random).size());
      if (List.of(1, 2, 4).containsAll(sizes) && sizes.containsAll(List.of(1, 2, 4))) return seed;
    }
  }

  /** The gateway's final parameters and, per round, the indices (registration order) of the nodes that took part. */
  private record GatewayRun(Parameters parameters, List<Set<Integer>> participants) {}

  /** The simulator's nodes: node i sends steps[i] everywhere. */
  private record Steps(float[] steps) implements NodeWork {
    @Override
    public FitResult fit(int node, RoundTask task) {
      float[] next = new float[task.start().values().length];
      java.util.Arrays.fill(next, steps[node]);
      return new FitResult(new Parameters(task.start().layout(), next), ROWS, Map.of("loss", 1.0 / steps[node]));
    }

    @Override
    public EvalResult evaluate(int node, RoundTask task) {
      return new EvalResult(ROWS / 10, Map.of("accuracy", 0.5));
    }
  }

  /** A node of the real grid, calling the fleet backend as the gRPC service does: it sends {@code step} everywhere. */
  private static void serve(Coordinator coordinator, dev.fedgrid.api.NodeId id, float step) {
    while (!Thread.currentThread().isInterrupted()) {
      try {
        coordinator.heartbeat(id);
        var task = coordinator.pollTask(id, Duration.ofMillis(100));
        if (task.isEmpty()) continue;
        var t = task.get();
        Parameters start = coordinator.taskParameters(id, t.id());
        if (t.kind() == dev.fedgrid.gateway.fleet.TaskKind.FIT) {
          float[] next = new float[start.values().length];
          java.util.Arrays.fill(next, step);
          coordinator.completeFit(id, t.id(), new Parameters(start.layout(), next), ROWS, Map.of("loss", 1.0 / step));
        } else {
          coordinator.completeEvaluation(id, t.id(), ROWS / 10, Map.of("accuracy", 0.5));
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // a closed task or a stopped coordinator: keep polling, as a real node does
      }
    }
  }

  /** A two-feature data set, as CoordinatorTest's nodes register. */
  private static DatasetMetadata metadata() {
    var columns = List.of(new ColumnStats("x0", ROWS, 1.0, 2.0), new ColumnStats("x1", ROWS, -1.0, 0.5));
    return new DatasetMetadata("cancer", DatasetFormat.CSV, List.of(2), columns, LabelInfo.categorical("benign", List.of(ROWS / 2, ROWS / 2)),
        ROWS, ROWS / 10, List.of("health"), Visibility.PRIVATE);
  }

  /**
   * Runs {@code spec} on a real coordinator with one node per step, registered in order.
   *
   * @param samplerSeed the seed of the coordinator's sampling generator, or {@code null} to keep its
   *     SecureRandom
   */
  private static GatewayRun viaGateway(JobSpec spec, Path where, float[] steps, Long samplerSeed) throws Exception {
    java.nio.file.Files.createDirectories(where);
    var store = SqlStateStore.sqlite(where.resolve("gateway.db"));
    var audit = new AuditLog(store.database(), Clock.systemUTC());
    var options = new CoordinatorOptions(Duration.ofMillis(200), Duration.ofMillis(1500), Duration.ofMillis(500), Duration.ofMillis(50));
    var coordinator = new Coordinator(store, audit, Clock.systemUTC(), options);
    if (samplerSeed != null) coordinator.samplingSource(new java.util.SplittableRandom(samplerSeed));
    coordinator.start();
    var order = new java.util.HashMap<dev.fedgrid.api.NodeId, Integer>();
    var nodes = new ArrayList<Thread>();
    try {
      Principal operator = new Principal(UserId.random(), "ops", "administrator", Set.of(Permission.MANAGE_INFRASTRUCTURE));
      for (int i = 0; i < steps.length; i++) {
        String token = new JoinTokens(store.database(), audit, Clock.systemUTC()).issue(operator, Optional.of("n" + i), Duration.ofHours(1)).token();
        var registration = coordinator.register(new NodeHello(Optional.empty(), Optional.empty(), "n" + i, 2, 1024, "test",
            List.of(metadata()), Optional.of(token)));
        order.put(registration.nodeId(), i);
        float step = steps[i];
        nodes.add(Thread.ofVirtual().start(() -> serve(coordinator, registration.nodeId(), step)));
      }
      Principal ana = new Principal(UserId.random(), "ana", "data-scientist", Set.of(Permission.MAKE_DATA_REQUESTS));
      Job job = coordinator.submitJob(ana, spec);
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (!coordinator.job(job.id()).state().isTerminal()) {
        if (System.nanoTime() > deadline) throw new AssertionError("job " + job.id() + " did not finish");
        Thread.sleep(10);
      }
      assertThat(coordinator.job(job.id()).state()).isEqualTo(JobState.COMPLETED);
      var rounds = coordinator.rounds(ana, job.id());
      assertThat(rounds).hasSize(spec.rounds()).allSatisfy(r -> assertThat(r.contributions()).hasSize(r.nodes().size()).containsValues(ROWS));
      if (spec.sampleFraction() == 1) assertThat(rounds).allSatisfy(r -> assertThat(r.nodes()).hasSize(steps.length));
      List<Set<Integer>> participants = rounds.stream().map(r -> (Set<Integer>) new java.util.TreeSet<>(r.nodes().stream().map(order::get).toList())).toList();
      return new GatewayRun(store.latestCheckpoint(job.id()).orElseThrow().parameters(), participants);
    } finally {
      nodes.forEach(Thread::interrupt);
      coordinator.close();
      store.close();
    }
  }
}
