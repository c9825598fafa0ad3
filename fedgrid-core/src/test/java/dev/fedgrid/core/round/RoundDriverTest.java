package dev.fedgrid.core.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.job.NodeFailure;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TensorSpec;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.core.strategy.Strategies;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The round driver over an in-memory fleet whose nodes "train" by adding a fixed, exactly
 * representable step to every parameter, so every aggregate is known exactly.
 */
class RoundDriverTest {
  private static final ParameterLayout LAYOUT = new ParameterLayout(List.of(TensorSpec.of("w", 3)));
  private static final Parameters ZERO = new Parameters(LAYOUT, new float[3]);

  /** Delivers on dispatch, in an order the test chooses; nodes listed as silent never answer. */
  static final class MemoryFleet implements RoundFleet {
    final Map<NodeId, Float> steps;
    final Set<NodeId> silent = new HashSet<>();
    final Set<NodeId> offline = new HashSet<>();
    final Set<NodeId> noTestSplit = new HashSet<>();
    final List<RoundTask> seen = new CopyOnWriteArrayList<>();
    Random shuffle;
    Long fixedExamples;
    Runnable afterDispatch = () -> {};

    MemoryFleet(Map<NodeId, Float> steps) {
      this.steps = steps;
    }

    @Override
    public void dispatch(List<RoundTask> tasks) {
      seen.addAll(tasks);
      var order = new ArrayList<>(tasks);
      if (shuffle != null) Collections.shuffle(order, shuffle);
      for (RoundTask t : order) {
        if (silent.contains(t.node()) || offline.contains(t.node())) continue;
        long examples = fixedExamples != null ? fixedExamples : 10L * (1 + Math.round(Math.abs(steps.get(t.node())) * 4));
        if (t.kind() == PhaseKind.FIT) {
          float[] v = t.start().values().clone();
          for (int i = 0; i < v.length; i++) v[i] += steps.get(t.node());
          t.deliverFit(new Parameters(LAYOUT, v), examples, Map.of("loss", (double) steps.get(t.node())));
        } else {
          t.deliverEvaluation(examples, Map.of("accuracy", 0.5));
        }
      }
      afterDispatch.run();
    }

    @Override
    public boolean offline(NodeId node) {
      return offline.contains(node);
    }

    @Override
    public boolean evaluates(NodeId node) {
      return !noTestSplit.contains(node);
    }
  }

  static final class ManualClock implements InstantSource {
    final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2025-01-01T00:00:00Z"));

    @Override
    public Instant instant() {
      return now.get();
    }
  }

  private static Map<NodeId, Float> nodes(float... steps) {
    var m = new java.util.LinkedHashMap<NodeId, Float>();
    for (float s : steps) m.put(NodeId.random(), s);
    return m;
  }

  private static RoundDriver driver(StrategyConfig strategy, RoundFleet fleet, InstantSource clock) {
    return new RoundDriver(Strategies.create(strategy, LAYOUT), fleet, clock, new SplittableRandom(7), Duration.ofMillis(5));
  }

  private static RoundPlan plan(int round, Map<NodeId, Float> nodes, int minNodes) {
    return new RoundPlan(round, List.copyOf(nodes.keySet()), 1.0, minNodes, 5, 2, null);
  }

  @Test
  void aRoundIsTheExampleWeightedMeanWithContributionsAndMetrics() throws InterruptedException {
    var nodes = nodes(0.25f, 0.5f, 0.75f);
    var fleet = new MemoryFleet(nodes);
    var started = new ArrayList<List<NodeId>>();
    RoundOutcome out = driver(new StrategyConfig.FedAvg(), fleet, new ManualClock()).run(plan(1, nodes, 2), ZERO, new RoundListener() {
      @Override
      public void started(RoundPlan p, List<NodeId> participants) {
        started.add(participants);
      }
    });

    var done = (RoundOutcome.Completed) out;
    // examples 20, 30, 40: (0.25*20 + 0.5*30 + 0.75*40) / 90 = 50/90
    assertThat(done.parameters().values()).containsOnly((float) (50.0 / 90));
    assertThat(done.updates()).isEqualTo(3);
    assertThat(done.examples()).isEqualTo(90);
    assertThat(done.participants()).containsExactlyElementsOf(nodes.keySet());
    assertThat(started).containsExactly(List.copyOf(nodes.keySet()));
    assertThat(done.contributions().values()).containsExactly(40L, 60L, 80L); // examples x 2 epochs, participant order
    assertThat(done.fitMetrics().get("loss")).isCloseTo(50.0 / 90, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(done.evalMetrics()).containsEntry("accuracy", 0.5);
    assertThat(done.failures()).isEmpty();
    assertThat(fleet.seen).filteredOn(t -> t.kind() == PhaseKind.EVALUATE).hasSize(3).allMatch(t -> t.start() == null && t.delivered());
  }

  /**
   * Arrival order does not change the aggregate when the float sums are exact: equal weights, 1, 2,
   * 4 or 8 updates (so every coefficient of {@code WeightedSum}'s folds of four is dyadic) and small
   * dyadic values. In general the fold is order-independent up to rounding only ({@code WeightedSum}).
   */
  @Property(tries = 30)
  void theAggregateDoesNotDependOnArrivalOrder(@ForAll @IntRange(min = 0, max = 3) int log2n, @ForAll long seed) throws InterruptedException {
    int n = 1 << log2n;
    var r = new Random(seed);
    float[] steps = new float[n];
    for (int i = 0; i < n; i++) steps[i] = r.nextInt(-16, 17) / 8f;
    var nodes = nodes(steps);
    var inOrder = new MemoryFleet(nodes);
    var shuffled = new MemoryFleet(nodes);
    inOrder.fixedExamples = shuffled.fixedExamples = 32L;
    shuffled.shuffle = new Random(seed + 1);
    for (var config : List.<StrategyConfig>of(new StrategyConfig.FedAvg(), new StrategyConfig.FedAvgM(1.0, 0.5))) {
      var a = (RoundOutcome.Completed) driver(config, inOrder, new ManualClock()).run(plan(1, nodes, 1), ZERO, RoundListener.NONE);
      var b = (RoundOutcome.Completed) driver(config, shuffled, new ManualClock()).run(plan(1, nodes, 1), ZERO, RoundListener.NONE);
      assertThat(b.parameters()).isEqualTo(a.parameters());
      assertThat(b.contributions()).isEqualTo(a.contributions());
    }
  }

  @Test
  void offlineNodesFailAtOnceAndSilentOnesAtTheDeadline() throws InterruptedException {
    var nodes = nodes(0.5f, 0.5f, 0.5f, 0.5f);
    List<NodeId> ids = List.copyOf(nodes.keySet());
    var fleet = new MemoryFleet(nodes);
    fleet.offline.add(ids.get(0));
    fleet.silent.add(ids.get(1));
    fleet.noTestSplit.add(ids.get(2));
    var clock = new ManualClock();
    fleet.afterDispatch = () -> clock.now.updateAndGet(t -> t.plusSeconds(5)); // the virtual clock jumps to the deadline
    var done = (RoundOutcome.Completed) driver(new StrategyConfig.FedAvg(), fleet, clock).run(plan(1, nodes, 2), ZERO, RoundListener.NONE);

    assertThat(done.updates()).isEqualTo(2);
    assertThat(done.failures()).extracting(NodeFailure::node, NodeFailure::phase, NodeFailure::reason).containsExactlyInAnyOrder(
        org.assertj.core.groups.Tuple.tuple(ids.get(0), "fit", "no result before the 5 s deadline"),
        org.assertj.core.groups.Tuple.tuple(ids.get(1), "fit", "no result before the 5 s deadline"),
        org.assertj.core.groups.Tuple.tuple(ids.get(0), "evaluate", "no result before the 5 s deadline"),
        org.assertj.core.groups.Tuple.tuple(ids.get(1), "evaluate", "no result before the 5 s deadline"));
    // every participant with a test split evaluates, whatever became of its fit task
    assertThat(fleet.seen).filteredOn(t -> t.kind() == PhaseKind.EVALUATE).extracting(RoundTask::node).containsExactly(ids.get(0), ids.get(1), ids.get(3));
  }

  @Test
  void anOfflineNodeDoesNotHoldTheRoundUntilTheDeadline() throws InterruptedException {
    var nodes = nodes(0.5f, 0.5f, 0.5f);
    NodeId gone = nodes.keySet().iterator().next();
    var fleet = new MemoryFleet(nodes);
    fleet.offline.add(gone);
    var done = (RoundOutcome.Completed) driver(new StrategyConfig.FedAvg(), fleet, new ManualClock()).run(plan(1, nodes, 2), ZERO, RoundListener.NONE);
    assertThat(done.failures()).containsExactly(new NodeFailure(gone, "fit", "node went offline"), new NodeFailure(gone, "evaluate", "node went offline"));
  }

  @Test
  void tooFewUpdatesAndTooSmallADrawEndTheRoundWithoutAggregating() throws InterruptedException {
    var nodes = nodes(0.5f, 0.5f, 0.5f);
    var fleet = new MemoryFleet(nodes);
    fleet.silent.addAll(List.copyOf(nodes.keySet()).subList(0, 2));
    var clock = new ManualClock();
    fleet.afterDispatch = () -> clock.now.updateAndGet(t -> t.plusSeconds(60));
    var few = (RoundOutcome.TooFewUpdates) driver(new StrategyConfig.FedAvg(), fleet, clock).run(plan(1, nodes, 2), ZERO, RoundListener.NONE);
    assertThat(few.delivered()).isEqualTo(1);
    assertThat(few.selected()).isEqualTo(3);
    assertThat(few.failures()).hasSize(2);

    var sampled = new RoundPlan(1, List.copyOf(nodes.keySet()), 0.01, 2, 5, 1, null);
    var small = (RoundOutcome.SampleTooSmall) driver(new StrategyConfig.FedAvg(), new MemoryFleet(nodes), clock).run(sampled, ZERO, RoundListener.NONE);
    assertThat(small.eligible()).isEqualTo(3);
    assertThat(small.sampled()).isLessThan(2);
  }

  @Test
  void fitTasksCarryMuAndLocalPrivacyAndEvaluateTasksNeither() throws InterruptedException {
    var nodes = nodes(0.5f, 0.5f);
    var fleet = new MemoryFleet(nodes);
    DifferentialPrivacy local = DifferentialPrivacy.local(1.0, 1.0);
    var plan = new RoundPlan(3, List.copyOf(nodes.keySet()), 1.0, 2, 5, 1, local);
    driver(new StrategyConfig.FedProx(0.1), fleet, new ManualClock()).run(plan, ZERO, RoundListener.NONE);
    assertThat(fleet.seen).filteredOn(t -> t.kind() == PhaseKind.FIT).allSatisfy(t -> {
      assertThat(t.proximalMu()).isEqualTo(0.1);
      assertThat(t.localPrivacy()).isEqualTo(local);
      assertThat(t.round()).isEqualTo(3);
    });
    assertThat(fleet.seen).filteredOn(t -> t.kind() == PhaseKind.EVALUATE).allSatisfy(t -> {
      assertThat(t.proximalMu()).isZero();
      assertThat(t.localPrivacy()).isNull();
    });
  }

  @Test
  void aResultIsTakenOncePerTaskAndAnAbortFailsTheOpenTasks() throws InterruptedException {
    var nodes = nodes(0.5f, 0.5f);
    var fleet = new MemoryFleet(nodes);
    fleet.silent.addAll(nodes.keySet());
    var clock = new ManualClock();
    var driver = driver(new StrategyConfig.FedAvg(), fleet, clock);
    fleet.afterDispatch = () -> driver.abort("job cancelled");
    assertThatThrownBy(() -> driver.run(plan(1, nodes, 2), ZERO, RoundListener.NONE)).isInstanceOf(InterruptedException.class);
    RoundTask task = fleet.seen.getFirst();
    assertThat(task.open()).isFalse();
    assertThat(task.start()).isNull();
    assertThatThrownBy(() -> task.deliverFit(ZERO, 1, Map.of())).hasMessageContaining("is closed");
  }
}
