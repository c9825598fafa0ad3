package dev.fedgrid.core.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.job.SecureAggregation;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TensorSpec;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.core.secagg.SecAggMessage;
import dev.fedgrid.core.secagg.SecAggParticipant;
import dev.fedgrid.core.secagg.SecAggStage;
import dev.fedgrid.core.strategy.Strategies;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rounds under secure aggregation through the {@link RoundDriver}, with an in-memory fleet whose
 * nodes run the real {@link SecAggParticipant} on virtual threads: the released model is the
 * plaintext weighted mean within one quantization step, drop-outs at every stage are recovered, and
 * too few survivors release nothing.
 */
class SecureRoundTest {
  private static final int D = 6;
  private static final ParameterLayout LAYOUT = new ParameterLayout(List.of(TensorSpec.of("w", D)));
  private static final Parameters GLOBAL = new Parameters(LAYOUT, new float[] {0.5f, -0.5f, 0f, 0.25f, 1f, -1f});
  private static final double RANGE = 1.0;
  private static final double STEP = 2 * RANGE / 65535;

  /** Nodes whose "training" adds a fixed difference; each may stop before sending one stage's message. */
  static class SecureFleet implements RoundFleet {
    final Map<NodeId, float[]> deltas;
    final Map<NodeId, Long> examples;
    final Map<NodeId, SecAggStage> stopBefore = new ConcurrentHashMap<>();
    final Set<NodeId> offline = ConcurrentHashMap.newKeySet();
    final List<Throwable> errors = new CopyOnWriteArrayList<>();
    final List<RoundTask> fitTasks = new CopyOnWriteArrayList<>();

    /** Examples a node states with its keys when they differ from those it weights its input by. */
    final Map<NodeId, Long> stated = new java.util.concurrent.ConcurrentHashMap<>();

    SecureFleet(Map<NodeId, float[]> deltas, Map<NodeId, Long> examples) {
      this.deltas = deltas;
      this.examples = examples;
    }

    @Override
    public void dispatch(List<RoundTask> tasks) {
      for (RoundTask t : tasks) {
        if (t.kind() == PhaseKind.EVALUATE) {
          t.deliverEvaluation(5, Map.of("accuracy", 0.75));
          continue;
        }
        fitTasks.add(t);
        Thread.ofVirtual().start(() -> runFit(t));
      }
    }

    private void runFit(RoundTask t) {
      NodeId node = t.node();
      float[] local = t.start().values().clone();
      for (int i = 0; i < D; i++) local[i] += deltas.get(node)[i];
      try {
        var input = SecAggParticipant.prepare(t.secAgg(), local, GLOBAL.values(), examples.get(node));
        if (stated.containsKey(node)) input = new SecAggParticipant.Input(input.values(), input.weight(), stated.get(node), input.saturated());
        SecAggParticipant.run(t.secAgg(), input, new SecAggParticipant.Channel() {
          @Override
          public void send(SecAggMessage.FromClient message, long ex) {
            t.secAggSubmit(message, ex);
          }

          @Override
          public SecAggMessage.FromServer receive(SecAggStage closed) throws InterruptedException {
            while (true) {
              var m = t.secAggAwait(Duration.ofMillis(50));
              if (m != null) return m;
            }
          }
        }, new SecureRandom(), stage -> {
          if (stage == stopBefore.get(node)) {
            offline.add(node); // the node dies: the fleet stops hearing from it
            throw new Stop();
          }
        });
      } catch (Stop e) {
        // dropped on purpose
      } catch (Throwable e) {
        errors.add(e);
        t.fail("reported: " + e.getMessage()); // as a real node reports a failure
      }
    }

    @Override
    public boolean offline(NodeId node) {
      return offline.contains(node);
    }

    @Override
    public boolean evaluates(NodeId node) {
      return true;
    }
  }

  static final class Stop extends RuntimeException {}

  static final class FrozenClock implements InstantSource {
    final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));

    @Override
    public Instant instant() {
      return now.get();
    }
  }

  private record Setup(Map<NodeId, float[]> deltas, Map<NodeId, Long> examples) {}

  private static Setup nodes(int n, long seed) {
    var r = new SplittableRandom(seed);
    var deltas = new LinkedHashMap<NodeId, float[]>();
    var examples = new LinkedHashMap<NodeId, Long>();
    for (int u = 0; u < n; u++) {
      NodeId id = NodeId.random();
      float[] d = new float[D];
      for (int i = 0; i < D; i++) d[i] = (float) (r.nextDouble() * 1.6 - 0.8);
      deltas.put(id, d);
      examples.put(id, 1L + r.nextInt(100));
    }
    return new Setup(deltas, examples);
  }

  private static RoundPlan plan(Setup s, int minNodes, Integer k, Integer t) {
    var settings = new SecureAggregation(null, k, t, RANGE, null, 5);
    return new RoundPlan(1, List.copyOf(s.deltas().keySet()), 1.0, minNodes, 30, 3, null, new SecAggPlan(settings, 100));
  }

  private static RoundOutcome run(StrategyConfig strategy, SecureFleet fleet, RoundPlan plan) throws InterruptedException {
    var driver = new RoundDriver(Strategies.create(strategy, LAYOUT), fleet, new FrozenClock(), new SplittableRandom(1), Duration.ofMillis(5));
    return driver.run(plan, GLOBAL, RoundListener.NONE);
  }

  /** The plaintext weighted mean of the nodes' differences, over {@code summed}. */
  private static double[] plainMean(Setup s, Set<NodeId> summed) {
    double[] mean = new double[D];
    double total = 0;
    for (NodeId n : summed) total += s.examples().get(n);
    for (NodeId n : summed) for (int i = 0; i < D; i++) mean[i] += s.deltas().get(n)[i] * s.examples().get(n) / total;
    return mean;
  }

  private static void assertWithinOneStep(Parameters released, double[] mean) {
    for (int i = 0; i < D; i++) {
      assertThat((double) released.values()[i]).as("value %d", i).isCloseTo(GLOBAL.values()[i] + mean[i], org.assertj.core.api.Assertions.within(STEP + 1e-6));
    }
  }

  @Property(tries = 15)
  void theReleasedModelIsThePlaintextWeightedMeanWithinOneQuantizationStep(@ForAll @IntRange(min = 2, max = 9) int n, @ForAll long seed)
      throws InterruptedException {
    Setup s = nodes(n, seed);
    var fleet = new SecureFleet(s.deltas(), s.examples());
    var outcome = run(new StrategyConfig.FedAvg(), fleet, plan(s, 2, null, null));
    assertThat(fleet.errors).isEmpty();
    var done = (RoundOutcome.Completed) outcome;
    assertWithinOneStep(done.parameters(), plainMean(s, s.deltas().keySet()));
    assertThat(done.updates()).isEqualTo(n);
    assertThat(done.fitMetrics()).as("no per-node training metrics under secure aggregation").isEmpty();
    assertThat(done.evalMetrics()).containsEntry("accuracy", 0.75);
    long total = s.examples().values().stream().mapToLong(Long::longValue).sum();
    assertThat(done.examples()).isEqualTo(total);
    var expected = new LinkedHashMap<NodeId, Long>();
    s.examples().forEach((node, ex) -> expected.put(node, ex * 3));
    assertThat(done.contributions()).isEqualTo(expected);
  }

  @ParameterizedTest
  @EnumSource(value = SecAggStage.class, names = {"ADVERTISE_KEYS", "SHARE_KEYS", "MASKED_INPUT", "UNMASKING"})
  void aNodeDroppingBeforeEachStageIsRecovered(SecAggStage stage) throws InterruptedException {
    Setup s = nodes(6, stage.ordinal());
    var fleet = new SecureFleet(s.deltas(), s.examples());
    NodeId victim = List.copyOf(s.deltas().keySet()).get(2);
    fleet.stopBefore.put(victim, stage);
    var done = (RoundOutcome.Completed) run(new StrategyConfig.FedAvg(), fleet, plan(s, 3, 4, 3));
    assertThat(fleet.errors).isEmpty();
    // a node that sent its masked input is in the sum even if it dies before unmasking
    boolean inSum = stage == SecAggStage.UNMASKING;
    var summed = new java.util.LinkedHashSet<>(s.deltas().keySet());
    if (!inSum) summed.remove(victim);
    assertWithinOneStep(done.parameters(), plainMean(s, summed));
    assertThat(done.updates()).isEqualTo(summed.size());
    assertThat(done.contributions().keySet()).isEqualTo(summed);
    if (inSum) {
      assertThat(done.failures()).isEmpty();
    } else {
      assertThat(done.failures()).singleElement().satisfies(f -> {
        assertThat(f.node()).isEqualTo(victim);
        assertThat(f.reason()).contains("went offline during SecAgg+ stage " + stage);
      });
    }
  }

  @Test
  void droppingTwoOfSixAfterSharingKeysIsRecoveredWithThresholdThree() throws InterruptedException {
    Setup s = nodes(6, 77);
    var fleet = new SecureFleet(s.deltas(), s.examples());
    List<NodeId> ids = List.copyOf(s.deltas().keySet());
    fleet.stopBefore.put(ids.get(0), SecAggStage.MASKED_INPUT);
    fleet.stopBefore.put(ids.get(4), SecAggStage.MASKED_INPUT);
    var done = (RoundOutcome.Completed) run(new StrategyConfig.FedAdam(0.5, 0.9, 0.99, 1e-3), fleet, plan(s, 2, null, 3));
    assertThat(done.updates()).isEqualTo(4);
    assertThat(done.failures()).extracting(f -> f.node()).containsExactlyInAnyOrder(ids.get(0), ids.get(4));
  }

  @Test
  void aNodeStatingOtherExamplesThanItsWeightFailsTheRoundAndReleasesNothing() throws InterruptedException {
    Setup s = nodes(4, 9);
    var fleet = new SecureFleet(s.deltas(), s.examples());
    NodeId claimant = s.examples().keySet().iterator().next();
    long real = s.examples().get(claimant);
    fleet.stated.put(claimant, real == 100 ? 99 : real + 1); // paid for one example more than it put in
    var outcome = run(new StrategyConfig.FedAvg(), fleet, plan(s, 2, null, null));
    assertThat(outcome).isInstanceOf(RoundOutcome.SecureAggregationFailed.class);
    assertThat(((RoundOutcome.SecureAggregationFailed) outcome).reason()).contains("weighted their inputs by").contains("no sum is released");
  }

  @Test
  void tooFewSurvivorsForTheThresholdAbandonTheRoundAndReleaseNothing() throws InterruptedException {
    Setup s = nodes(4, 5);
    var fleet = new SecureFleet(s.deltas(), s.examples());
    List<NodeId> ids = List.copyOf(s.deltas().keySet());
    fleet.stopBefore.put(ids.get(1), SecAggStage.SHARE_KEYS);
    fleet.stopBefore.put(ids.get(2), SecAggStage.SHARE_KEYS);
    var outcome = run(new StrategyConfig.FedAvg(), fleet, plan(s, 2, 3, 3));
    assertThat(outcome).isInstanceOf(RoundOutcome.SecureAggregationFailed.class);
    var failed = (RoundOutcome.SecureAggregationFailed) outcome;
    assertThat(failed.reason()).contains("stage SHARE_KEYS").contains("(2, threshold 3)").contains("no sum is released");
    assertThat(failed.selected()).isEqualTo(4);
    assertThat(failed.failures()).extracting(f -> f.node()).contains(ids.get(1), ids.get(2));
    assertThat(fleet.fitTasks).allSatisfy(t -> assertThat(t.open()).isFalse());
  }

  @Test
  void fewerMaskedInputsThanMinNodesEndTheRoundAsTooFewUpdates() throws InterruptedException {
    Setup s = nodes(4, 6);
    var fleet = new SecureFleet(s.deltas(), s.examples());
    List<NodeId> ids = List.copyOf(s.deltas().keySet());
    fleet.stopBefore.put(ids.get(0), SecAggStage.MASKED_INPUT);
    var outcome = run(new StrategyConfig.FedAvg(), fleet, plan(s, 4, 3, 2));
    assertThat(outcome).isInstanceOfSatisfying(RoundOutcome.TooFewUpdates.class, t -> {
      assertThat(t.delivered()).isEqualTo(3);
      assertThat(t.selected()).isEqualTo(4);
    });
  }

  @Test
  void aSecureTaskRefusesAnUpdateInTheClearAndStrategiesThatNeedUpdatesAreRefused() throws InterruptedException {
    Setup s = nodes(3, 8);
    var captured = new ArrayList<RoundTask>();
    var fleet = new SecureFleet(s.deltas(), s.examples()) {
      @Override
      public void dispatch(List<RoundTask> tasks) {
        captured.addAll(tasks);
        for (RoundTask t : tasks) t.fail("test: no work");
      }
    };
    var outcome = run(new StrategyConfig.FedAvg(), fleet, plan(s, 2, null, null));
    assertThat(outcome).isNotInstanceOf(RoundOutcome.Completed.class);
    assertThatThrownBy(() -> captured.getFirst().deliverFit(GLOBAL, 10, Map.of()))
        .isInstanceOf(InvalidRequestException.class).hasFieldOrPropertyWithValue("code", "SECAGG_REQUIRED");
    assertThatThrownBy(() -> run(new StrategyConfig.FedMedian(), new SecureFleet(s.deltas(), s.examples()), plan(s, 2, null, null)))
        .hasFieldOrPropertyWithValue("code", "SECURE_AGGREGATION_UNSUPPORTED_STRATEGY");
  }

  @Test
  void aNodeWithMoreExamplesThanTheCatalogueAllowsRefusesAndDropsOut() throws InterruptedException {
    Setup s = nodes(4, 9);
    NodeId greedy = s.examples().keySet().iterator().next();
    s.examples().put(greedy, 101L); // maxWeight is 100
    var fleet = new SecureFleet(s.deltas(), s.examples());
    var done = (RoundOutcome.Completed) run(new StrategyConfig.FedAvg(), fleet, plan(s, 2, null, null));
    assertThat(fleet.errors).singleElement().satisfies(e -> assertThat(e).hasMessageContaining("trained on 101 examples").hasMessageContaining("weights of 1 to 100"));
    assertThat(done.updates()).isEqualTo(3);
  }
}
