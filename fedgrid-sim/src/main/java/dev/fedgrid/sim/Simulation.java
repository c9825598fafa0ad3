package dev.fedgrid.sim;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.privacy.PrivacyMode;
import dev.fedgrid.api.strategy.Strategy;
import dev.fedgrid.core.dp.DpAccounting;
import dev.fedgrid.core.init.Initializers;
import dev.fedgrid.core.round.RoundDriver;
import dev.fedgrid.core.round.RoundListener;
import dev.fedgrid.core.round.RoundOutcome;
import dev.fedgrid.core.round.RoundPlan;
import dev.fedgrid.core.round.SecAggPlan;
import dev.fedgrid.core.strategy.Strategies;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A job run with a population of virtual nodes in this JVM: the gateway's strategy, aggregation,
 * DP and round logic ({@link RoundDriver}) over an {@link InMemoryFleet} and a {@link
 * VirtualClock}. Participants are Poisson-sampled with {@link SplittableRandom} seeded by the
 * simulation's seed, where the gateway uses a {@code SecureRandom}; with the same seed, population,
 * faults and work, two runs give the same rounds (central DP's noise excepted: the strategy draws it
 * from a {@code SecureRandom}).
 *
 * <p>Memory does not grow with the per-client detail of past rounds: each round's full {@link
 * SimRound} (contributions and failures per node) goes to the progress callback as the round ends
 * and only its {@link SimRound.Summary} is kept.
 *
 * <p>Like the gateway, a round that cannot aggregate (too small a draw, too few updates) ends the
 * run. Not thread-safe: one run at a time.
 */
public final class Simulation {
  private static final Instant EPOCH = Instant.parse("2025-01-01T00:00:00Z");

  private final JobSpec spec;
  private final ParameterLayout layout;
  private final int population;
  private final NodeWork work;
  private final FaultPlan faults;
  private final long seed;
  private Parameters parameters;

  public Simulation(JobSpec spec, ParameterLayout layout, int population, NodeWork work, FaultPlan faults, long seed) {
    this.spec = spec;
    this.layout = layout;
    this.population = population;
    this.work = work;
    this.faults = faults;
    this.seed = seed;
  }

  /**
   * Runs every round, handing each round's full record to {@code progress} as it ends (write it out
   * there: it is not kept).
   *
   * @return every round's summary, without per-client data
   */
  public List<SimRound.Summary> run(Consumer<SimRound> progress) throws InterruptedException {
    return run(progress, RoundListener.NONE);
  }

  /**
   * As {@link #run(Consumer)}, telling {@code listener} of each round's progress as the gateway's
   * job events hear of it (participants drawn, each SecAgg+ stage closed); a benchmark times the
   * stages with it. The listener is called on the thread that drives the round.
   */
  public List<SimRound.Summary> run(Consumer<SimRound> progress, RoundListener listener) throws InterruptedException {
    Strategy strategy = Strategies.create(spec.strategy(), spec.privacy(), layout);
    var clock = new VirtualClock(EPOCH);
    var fleet = new InMemoryFleet(work, faults, clock, seed);
    var driver = new RoundDriver(strategy, fleet, clock, new SplittableRandom(seed), Duration.ofMillis(1));
    parameters = Initializers.initialize(layout, spec.training().seed());
    List<NodeId> eligible = VirtualNodes.population(population);
    var local = spec.privacy() != null && spec.privacy().mode() == PrivacyMode.LOCAL ? spec.privacy() : null;
    var secAgg = spec.secureAggregation() == null ? null : new SecAggPlan(spec.secureAggregation(), work.maxExamples());
    var rounds = new ArrayList<SimRound.Summary>();
    for (int round = 1; round <= spec.rounds(); round++) {
      var plan = new RoundPlan(round, eligible, spec.sampleFraction(), spec.minNodes(), spec.roundTimeoutSeconds(), spec.training().epochs(), local, secAgg);
      Instant start = clock.instant();
      long t0 = System.nanoTime();
      RoundOutcome outcome = driver.run(plan, parameters, listener);
      long wall = (System.nanoTime() - t0) / 1_000_000;
      long virtual = Duration.between(start, clock.instant()).toSeconds();
      Runtime rt = Runtime.getRuntime();
      long heap = rt.totalMemory() - rt.freeMemory();
      Double epsilon = spec.privacy() == null ? null : DpAccounting.epsilon(spec, round);
      SimRound r = switch (outcome) {
        case RoundOutcome.Completed c -> {
          parameters = c.parameters();
          int byz = (int) c.participants().stream().filter(n -> faults.byzantine(VirtualNodes.index(n))).count();
          yield new SimRound(round, "completed", c.participants().size(), byz, c.updates(), c.examples(), c.failures(), c.fitMetrics(), c.evalMetrics(),
              epsilon, virtual, wall, heap, c.contributions());
        }
        case RoundOutcome.TooFewUpdates t ->
            new SimRound(round, "too-few-updates", t.selected(), 0, t.delivered(), 0, t.failures(), Map.of(), Map.of(), null, virtual, wall, heap, Map.of());
        case RoundOutcome.SecureAggregationFailed f ->
            new SimRound(round, "secure-aggregation-failed", f.selected(), 0, 0, 0, f.failures(), Map.of(), Map.of(), null, virtual, wall, heap, Map.of());
        case RoundOutcome.SampleTooSmall s ->
            new SimRound(round, "sample-too-small", s.sampled(), 0, 0, 0, List.of(), Map.of(), Map.of(), null, virtual, wall, heap, Map.of());
      };
      rounds.add(r.summary());
      progress.accept(r);
      if (!(outcome instanceof RoundOutcome.Completed)) break;
    }
    return rounds;
  }

  /** The global parameters after the last completed round (the initial ones before any). */
  public Parameters parameters() {
    return parameters;
  }
}
