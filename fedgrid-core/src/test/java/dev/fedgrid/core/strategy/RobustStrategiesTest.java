package dev.fedgrid.core.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TensorSpec;
import dev.fedgrid.api.strategy.FitOutcome;
import dev.fedgrid.api.strategy.RoundAggregation;
import dev.fedgrid.api.strategy.Strategy;
import dev.fedgrid.api.strategy.StrategyConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RobustStrategiesTest {
  static final ParameterLayout LAYOUT = new ParameterLayout(List.of(TensorSpec.of("w", 3)));
  static final float[] GLOBAL = {0, 0, 0};
  /** Node ids in ascending order: index order is node order, which breaks ties. */
  static final List<NodeId> NODES = Stream.generate(NodeId::random).limit(40).sorted().toList();

  static Parameters params(ParameterLayout layout, float... values) {
    return new Parameters(layout, values);
  }

  static FitOutcome success(int node, long examples, float... values) {
    return new FitOutcome.Success(NODES.get(node), params(LAYOUT, values), examples, Map.of());
  }

  /** Aggregates {@code updates[i]} from node i with {@code examples[i]} examples, in the given arrival order. */
  static Parameters aggregate(StrategyConfig config, ParameterLayout layout, float[][] updates, long[] examples, List<Integer> arrival) {
    Strategy s = Strategies.create(config, layout);
    RoundAggregation r = s.openRound(1, new Parameters(layout, new float[layout.size()]));
    for (int i : arrival) r.accept(new FitOutcome.Success(NODES.get(i), new Parameters(layout, updates[i]), examples[i], Map.of()));
    return r.finish();
  }

  static Parameters aggregate(StrategyConfig config, float[][] updates, long... examples) {
    List<Integer> order = new ArrayList<>();
    for (int i = updates.length - 1; i >= 0; i--) order.add(i); // arrive in reverse node order
    return aggregate(config, LAYOUT, updates, examples, order);
  }

  static void assertValues(Parameters actual, double... expected) {
    for (int i = 0; i < expected.length; i++) {
      assertThat((double) actual.values()[i]).as("element %d", i).isCloseTo(expected[i], within(1e-6 * Math.max(1, Math.abs(expected[i]))));
    }
  }

  // Five nodes, three parameters; node 4 is Byzantine and claims many examples.
  static final float[][] FIVE = {
    {1, 0, 2},
    {2, 1, 2},
    {3, 0, 4},
    {2, 2, 3},
    {100, -100, 50},
  };
  static final long[] FIVE_EXAMPLES = {1, 1, 2, 4, 1000};

  @Test
  void fedMedianTakesTheMiddleValueOfEachCoordinate() {
    // coordinate 0: 1 2 2 3 100 -> 2; coordinate 1: -100 0 0 1 2 -> 0; coordinate 2: 2 2 3 4 50 -> 3
    assertValues(aggregate(new StrategyConfig.FedMedian(), FIVE, FIVE_EXAMPLES), 2, 0, 3);
    // four nodes (without the outlier): the mean of the two middle values
    // coordinate 0: 1 2 2 3 -> 2; coordinate 1: 0 0 1 2 -> 0.5; coordinate 2: 2 2 3 4 -> 2.5
    assertValues(aggregate(new StrategyConfig.FedMedian(), Arrays.copyOf(FIVE, 4), FIVE_EXAMPLES), 2, 0.5, 2.5);
  }

  @Test
  void fedTrimmedAvgDropsFloorBetaNAtEachEnd() {
    // floor(0.2 * 5) = 1 value cut at each end, the other three averaged without weights:
    // coordinate 0: (2 + 2 + 3) / 3 = 7/3; coordinate 1: (0 + 0 + 1) / 3 = 1/3; coordinate 2: (2 + 3 + 4) / 3 = 3
    assertValues(aggregate(new StrategyConfig.FedTrimmedAvg(null), FIVE, FIVE_EXAMPLES), 7.0 / 3, 1.0 / 3, 3);
    // beta 0.1: floor(0.5) = 0, nothing cut: the plain mean, coordinate 0 = (1 + 2 + 3 + 2 + 100) / 5 = 21.6
    assertValues(aggregate(new StrategyConfig.FedTrimmedAvg(0.1), FIVE, FIVE_EXAMPLES), 21.6, -97.0 / 5, 61.0 / 5);
  }

  // Squared distances between the honest updates of FIVE:
  //   d01 = 1+1+0 = 2, d02 = 4+0+4 = 8, d03 = 1+4+1 = 6, d12 = 1+1+4 = 6, d13 = 0+1+1 = 2, d23 = 1+4+1 = 6;
  //   node 4 is more than 9000 away from all. With f = 1 each score sums the n - f - 2 = 2 nearest:
  //   s0 = 2+6 = 8, s1 = 2+2 = 4, s2 = 6+6 = 12, s3 = 2+6 = 8, s4 > 18000.

  @Test
  void krumReturnsTheUpdateWithTheLeastScore() {
    Parameters p = aggregate(new StrategyConfig.Krum(1), FIVE, FIVE_EXAMPLES);
    assertThat(p.values()).containsExactly(FIVE[1]); // s1 = 4
  }

  @Test
  void multiKrumAveragesTheBestScoresWeightedByExamples() {
    // default m = n - f = 4: nodes 1, 0, 3, 2 with 1, 1, 4, 2 examples (8 in all):
    // coordinate 0: (1 + 2 + 2*3 + 4*2) / 8 = 17/8; coordinate 1: (0 + 1 + 0 + 4*2) / 8 = 9/8; coordinate 2: (2 + 2 + 2*4 + 4*3) / 8 = 3
    assertValues(aggregate(new StrategyConfig.MultiKrum(1, null), FIVE, FIVE_EXAMPLES), 17.0 / 8, 9.0 / 8, 3);
    // m = 2: node 1 (4), then nodes 0 and 3 tie at 8 and node order picks node 0: ([1,0,2] + [2,1,2]) / 2
    assertValues(aggregate(new StrategyConfig.MultiKrum(1, 2), FIVE, FIVE_EXAMPLES), 1.5, 0.5, 2);
  }

  @Test
  void bulyanSelectsByRepeatedKrumThenAveragesTheValuesClosestToTheMedian() {
    // Seven nodes u = [v, 2v, -v] with v = 0, 1, 3, 4, 6, 10, 1000 (node 6 Byzantine); f = 1, so theta = 7 - 2 = 5 picks and
    // beta = 5 - 2 = 3 values per coordinate. Squared distances are 6 (v_i - v_j)^2; in units of 6, each pass scores
    // with max(1, k - 3) neighbours among the k remaining:
    //   k = 7, 4 neighbours: v=0: 1+9+16+36 = 62, v=1: 1+4+9+25 = 39, v=3: 1+4+9+9 = 23, v=4: 1+4+9+16 = 30, v=6: 54, v=10: 182 -> pick 3
    //   k = 6, 3 neighbours: v=0: 1+16+36 = 53, v=1: 1+9+25 = 35, v=4: 4+9+16 = 29, v=6: 45, v=10: 133 -> pick 4
    //   k = 5, 2 neighbours: v=0: 1+36 = 37, v=1: 1+25 = 26, v=6: 16+25 = 41, v=10: 16+81 = 97 -> pick 1
    //   k = 4, 1 neighbour:  v=0: 36, v=6: 16, v=10: 16 -> tie, node order picks 6
    //   k = 3, 1 neighbour:  v=0: 100, v=10: 100 -> tie, node order picks 0
    // Picked v: 0 1 3 4 6, median 3; the 3 closest are 3, 4 (1 away), 1 (2 away, before 6 at 3): mean 8/3.
    float[] v = {0, 1, 3, 4, 6, 10, 1000};
    float[][] updates = new float[7][];
    for (int i = 0; i < 7; i++) updates[i] = new float[] {v[i], 2 * v[i], -v[i]};
    Parameters p = aggregate(new StrategyConfig.Bulyan(1), updates, 1, 1, 1, 1, 1, 1, 1);
    assertValues(p, 8.0 / 3, 16.0 / 3, -8.0 / 3);
  }

  @Test
  void bulyanWithoutByzantineNodesIsThePlainMean() {
    // f = 0: theta = beta = n, every update is picked and every value kept
    assertValues(aggregate(new StrategyConfig.Bulyan(0), Arrays.copyOf(FIVE, 4), 1, 1, 1, 100), 2, 0.75, 2.75);
  }

  @Test
  void multiKrumOfAllUpdatesIsFedAvg() {
    var rng = new Random(7);
    float[][] updates = new float[6][3];
    long[] examples = new long[6];
    for (int i = 0; i < 6; i++) {
      for (int j = 0; j < 3; j++) updates[i][j] = (float) rng.nextGaussian();
      examples[i] = 1 + rng.nextInt(50);
    }
    List<Integer> nodeOrder = List.of(0, 1, 2, 3, 4, 5);
    assertThat(aggregate(new StrategyConfig.MultiKrum(0, 6), LAYOUT, updates, examples, nodeOrder))
        .isEqualTo(aggregate(new StrategyConfig.FedAvg(), LAYOUT, updates, examples, nodeOrder));
  }

  // ---- too few updates

  static void assertTooFew(StrategyConfig config, int n, String... fragments) {
    RoundAggregation r = Strategies.create(config, LAYOUT).openRound(3, params(LAYOUT, GLOBAL));
    for (int i = 0; i < n; i++) r.accept(success(i, 1, FIVE[i % 4]));
    r.accept(new FitOutcome.Failure(NODES.get(n), "timed out"));
    assertThatThrownBy(r::finish)
        .isInstanceOfSatisfying(
            UnavailableException.class,
            e -> {
              assertThat(e.code()).isEqualTo("TOO_FEW_UPDATES_FOR_ROBUST_STRATEGY");
              assertThat(e.details()).containsEntry("updates", n).containsEntry("round", 3).containsEntry("strategy", config.name());
            })
        .hasMessageContaining("round 3 of " + config.name())
        .hasMessageContaining("has " + n + " successful update")
        .hasMessageContaining("1 failed")
        .hasMessageContainingAll(fragments);
  }

  @Test
  void krumNeedsMoreThanTwoFPlusTwoUpdates() {
    assertTooFew(new StrategyConfig.Krum(1), 4, "byzantine f = 1", "n > 2f + 2", "at least 5 updates");
    assertTooFew(new StrategyConfig.Krum(null), 2, "byzantine f = 0", "at least 3 updates");
    assertTooFew(new StrategyConfig.MultiKrum(2, null), 6, "byzantine f = 2", "n > 2f + 2", "at least 7 updates");
  }

  @Test
  void multiKrumNeedsAtLeastSelectUpdates() {
    assertTooFew(new StrategyConfig.MultiKrum(0, 5), 4, "n >= select (5)", "at least 5 updates");
  }

  @Test
  void bulyanNeedsFourFPlusThreeUpdates() {
    assertTooFew(new StrategyConfig.Bulyan(1), 6, "byzantine f = 1", "n >= 4f + 3", "at least 7 updates");
    assertTooFew(new StrategyConfig.Bulyan(2), 10, "byzantine f = 2", "at least 11 updates");
  }

  @Test
  void aRoundWithTooFewUpdatesStaysOpenForMore() {
    RoundAggregation r = Strategies.create(new StrategyConfig.Krum(1), LAYOUT).openRound(1, params(LAYOUT, GLOBAL));
    for (int i = 0; i < 4; i++) r.accept(success(i, FIVE_EXAMPLES[i], FIVE[i]));
    assertThatThrownBy(r::finish).isInstanceOf(UnavailableException.class);
    r.accept(success(4, FIVE_EXAMPLES[4], FIVE[4]));
    assertThat(r.finish().values()).containsExactly(FIVE[1]);
  }

  // ---- the checks every round shares, over every robust strategy

  static Stream<StrategyConfig> robustConfigs() {
    return Stream.of(
        new StrategyConfig.FedMedian(),
        new StrategyConfig.FedTrimmedAvg(null),
        new StrategyConfig.Krum(1),
        new StrategyConfig.MultiKrum(1, null),
        new StrategyConfig.MultiKrum(1, 3),
        new StrategyConfig.Bulyan(1));
  }

  /** Seven updates: enough for every config above. */
  static final float[][] SEVEN = {{1, 0, 2}, {2, 1, 2}, {3, 0, 4}, {2, 2, 3}, {0, 1, 1}, {1, 1, 1}, {50, -50, 50}};

  static RoundAggregation openWithSix(StrategyConfig config) {
    RoundAggregation r = Strategies.create(config, LAYOUT).openRound(1, params(LAYOUT, GLOBAL));
    for (int i = 0; i < 6; i++) r.accept(success(i, 1 + i, SEVEN[i]));
    return r;
  }

  static Parameters withSeven(StrategyConfig config) {
    RoundAggregation r = openWithSix(config);
    r.accept(success(6, 7, SEVEN[6]));
    return r.finish();
  }

  @ParameterizedTest
  @MethodSource("robustConfigs")
  void isStatelessWithoutProximalTerm(StrategyConfig config) {
    Strategy s = Strategies.create(config, LAYOUT);
    assertThat(s.name()).isEqualTo(config.name());
    assertThat(s.proximalMu()).isZero();
    assertThat(config.proximalMu()).isZero();
    withSeven(config);
    assertThat(s.state()).isEmpty();
  }

  @ParameterizedTest
  @MethodSource("robustConfigs")
  void aFailureDoesNotChangeTheResult(StrategyConfig config) {
    RoundAggregation r = openWithSix(config);
    r.accept(new FitOutcome.Failure(NODES.get(20), "timed out"));
    r.accept(success(6, 7, SEVEN[6]));
    assertThat(r.successes()).isEqualTo(7);
    assertThat(r.failures()).isEqualTo(1);
    assertThat(r.finish()).isEqualTo(withSeven(config));
  }

  @ParameterizedTest
  @MethodSource("robustConfigs")
  void refusesWrongShapesAndNonFiniteValuesWithoutChangingTheRound(StrategyConfig config) {
    RoundAggregation r = openWithSix(config);
    var wrong = new Parameters(new ParameterLayout(List.of(TensorSpec.of("w", 4))), new float[4]);
    NodeId bad = NODES.get(21);
    assertThatThrownBy(() -> r.accept(new FitOutcome.Success(bad, wrong, 10, Map.of())))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("SHAPE_MISMATCH"))
        .hasMessageContaining(bad.value());
    assertThatThrownBy(() -> r.accept(new FitOutcome.Success(bad, params(LAYOUT, 1, Float.NaN, 3), 10, Map.of())))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("NON_FINITE_UPDATE"))
        .hasMessageContaining("index 1");
    assertThat(r.successes()).isEqualTo(6);
    r.accept(success(6, 7, SEVEN[6]));
    assertThat(r.finish()).isEqualTo(withSeven(config));
  }

  @ParameterizedTest
  @MethodSource("robustConfigs")
  void refusesDuplicatesAndLateOutcomes(StrategyConfig config) {
    RoundAggregation r = openWithSix(config);
    assertThatThrownBy(() -> r.accept(success(0, 1, SEVEN[6])))
        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo("DUPLICATE_UPDATE"));
    assertThatThrownBy(() -> r.accept(new FitOutcome.Failure(NODES.get(0), "late")))
        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo("DUPLICATE_UPDATE"));
    r.accept(success(6, 7, SEVEN[6]));
    Parameters first = r.finish();
    assertThat(r.finish()).isSameAs(first);
    assertThatThrownBy(() -> r.accept(success(7, 1, SEVEN[0])))
        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo("ROUND_FINISHED"));
  }

  @ParameterizedTest
  @MethodSource("robustConfigs")
  void aRoundWithoutSuccessesHasNoUpdates(StrategyConfig config) {
    RoundAggregation r = Strategies.create(config, LAYOUT).openRound(4, params(LAYOUT, GLOBAL));
    r.accept(new FitOutcome.Failure(NODES.get(0), "out of memory"));
    assertThatThrownBy(r::finish)
        .isInstanceOfSatisfying(UnavailableException.class, e -> assertThat(e.code()).isEqualTo("NO_UPDATES"))
        .hasMessageContaining("round 4")
        .hasMessageContaining(NODES.get(0).value() + ": out of memory");
  }

  @ParameterizedTest
  @MethodSource("robustConfigs")
  void refusesAGlobalModelOfAnotherLayout(StrategyConfig config) {
    var other = new Parameters(new ParameterLayout(List.of(TensorSpec.of("v", 3))), new float[3]);
    assertThatThrownBy(() -> Strategies.create(config, LAYOUT).openRound(1, other))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("SHAPE_MISMATCH"));
  }

  // ---- properties

  static final List<Supplier<StrategyConfig>> ROBUST =
      List.of(
          StrategyConfig.FedMedian::new,
          () -> new StrategyConfig.FedTrimmedAvg(0.2),
          () -> new StrategyConfig.Krum(1),
          () -> new StrategyConfig.MultiKrum(1, null),
          () -> new StrategyConfig.Bulyan(1));

  /** {@code n} random updates of {@code d} values in [-1, 1], some repeated to create ties, and their examples. */
  record Round(ParameterLayout layout, float[][] updates, long[] examples) {
    static Round random(long seed, int n, int d) {
      var rng = new Random(seed);
      var layout = new ParameterLayout(List.of(TensorSpec.of("w", d)));
      float[][] updates = new float[n][];
      long[] examples = new long[n];
      for (int i = 0; i < n; i++) {
        if (i > 0 && rng.nextInt(4) == 0) {
          updates[i] = updates[rng.nextInt(i)].clone(); // an exact copy: equal distances and equal values
        } else {
          updates[i] = new float[d];
          for (int j = 0; j < d; j++) updates[i][j] = rng.nextInt(3) == 0 ? rng.nextInt(3) - 1 : (float) (2 * rng.nextDouble() - 1);
        }
        examples[i] = 1 + rng.nextInt(100);
      }
      return new Round(layout, updates, examples);
    }

    Parameters aggregate(StrategyConfig config, List<Integer> arrival) {
      return RobustStrategiesTest.aggregate(config, layout, updates, examples, arrival);
    }

    List<Integer> nodeOrder() {
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < updates.length; i++) order.add(i);
      return order;
    }
  }

  @Property(tries = 60)
  void theResultDoesNotDependOnArrivalOrder(@ForAll long seed, @ForAll @IntRange(min = 7, max = 14) int n, @ForAll @IntRange(min = 1, max = 9) int d) {
    Round round = Round.random(seed, n, d);
    List<Integer> shuffled = round.nodeOrder();
    Collections.shuffle(shuffled, new Random(seed + 1));
    for (var config : ROBUST) {
      assertThat(round.aggregate(config.get(), shuffled)).as(config.get().name()).isEqualTo(round.aggregate(config.get(), round.nodeOrder()));
    }
  }

  @Property(tries = 60)
  void aSingleHugeByzantineUpdateIsIgnored(
      @ForAll long seed, @ForAll @IntRange(min = 6, max = 14) int honest, @ForAll @IntRange(min = 1, max = 9) int d, @ForAll boolean negative) {
    Round clean = Round.random(seed, honest, d);
    float[][] updates = Arrays.copyOf(clean.updates(), honest + 1);
    long[] examples = Arrays.copyOf(clean.examples(), honest + 1);
    updates[honest] = new float[d];
    Arrays.fill(updates[honest], negative ? -1e30f : 1e30f);
    examples[honest] = 1_000_000;
    var round = new Round(clean.layout(), updates, examples);
    List<Integer> arrival = round.nodeOrder();
    Collections.shuffle(arrival, new Random(seed));
    for (var config : ROBUST) {
      float[] result = round.aggregate(config.get(), arrival).values();
      for (int j = 0; j < d; j++) {
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (int i = 0; i < honest; i++) {
          min = Math.min(min, updates[i][j]);
          max = Math.max(max, updates[i][j]);
        }
        // Multi-Krum's weighted mean is accumulated in float and may round one ulp past equal values
        assertThat(result[j]).as("%s, coordinate %d", config.get().name(), j).isBetween(min - 1e-6f, max + 1e-6f);
      }
    }
  }

  @Property(tries = 100)
  void theMedianIsTheMiddleValue(@ForAll long seed, @ForAll @IntRange(min = 1, max = 15) int n, @ForAll @IntRange(min = 1, max = 9) int d) {
    Round round = Round.random(seed, n, d);
    float[] median = round.aggregate(new StrategyConfig.FedMedian(), round.nodeOrder()).values();
    for (int j = 0; j < d; j++) {
      float[] column = new float[n];
      for (int i = 0; i < n; i++) column[i] = round.updates()[i][j];
      Arrays.sort(column);
      float expected = n % 2 == 1 ? column[n / 2] : (float) (((double) column[n / 2 - 1] + column[n / 2]) / 2);
      assertThat(median[j]).isEqualTo(expected);
    }
  }

  @Property(tries = 100)
  void aTrimmedMeanWithBetaZeroIsTheUnweightedMean(@ForAll long seed, @ForAll @IntRange(min = 1, max = 15) int n, @ForAll @IntRange(min = 1, max = 9) int d) {
    Round round = Round.random(seed, n, d);
    float[] trimmed = round.aggregate(new StrategyConfig.FedTrimmedAvg(0.0), round.nodeOrder()).values();
    for (int j = 0; j < d; j++) {
      double sum = 0;
      for (int i = 0; i < n; i++) sum += round.updates()[i][j];
      assertThat((double) trimmed[j]).isCloseTo(sum / n, within(1e-6));
    }
  }

  @Property(tries = 60)
  void krumReturnsOneOfTheUpdates(@ForAll long seed, @ForAll @IntRange(min = 3, max = 14) int n, @ForAll @IntRange(min = 1, max = 9) int d) {
    Round round = Round.random(seed, n, d);
    int f = (n - 3) / 2; // the largest f with n > 2f + 2
    float[] chosen = round.aggregate(new StrategyConfig.Krum(f), round.nodeOrder()).values();
    assertThat(Arrays.stream(round.updates()).anyMatch(u -> Arrays.equals(u, chosen))).isTrue();
  }

  // ---- configuration

  @Test
  void configsTakeTheirDefaults() {
    assertThat(new StrategyConfig.FedTrimmedAvg(null).beta()).isEqualTo(0.2);
    assertThat(new StrategyConfig.Krum(null).byzantine()).isZero();
    assertThat(new StrategyConfig.MultiKrum(null, null).byzantine()).isZero();
    assertThat(new StrategyConfig.MultiKrum(null, null).select()).isNull(); // n - f, decided per round
    assertThat(new StrategyConfig.Bulyan(null).byzantine()).isZero();
  }

  @Test
  void configsRefuseSettingsOutOfRange() {
    List<Runnable> bad =
        List.of(
            () -> new StrategyConfig.FedTrimmedAvg(0.5),
            () -> new StrategyConfig.FedTrimmedAvg(-0.1),
            () -> new StrategyConfig.FedTrimmedAvg(Double.NaN),
            () -> new StrategyConfig.Krum(-1),
            () -> new StrategyConfig.MultiKrum(-1, null),
            () -> new StrategyConfig.MultiKrum(0, 0),
            () -> new StrategyConfig.Bulyan(-2),
            () -> new StrategyConfig.Bulyan(100_001));
    for (Runnable r : bad) {
      assertThatThrownBy(r::run).isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_STRATEGY"));
    }
    assertThatThrownBy(() -> new StrategyConfig.FedTrimmedAvg(0.5)).hasMessage("fedtrimmedavg beta (the fraction cut from each end) must be in [0, 0.5), got 0.5");
    assertThatThrownBy(() -> new StrategyConfig.MultiKrum(1, 0)).hasMessageContaining("multikrum select").hasMessageContaining("got 0");
    assertThatThrownBy(() -> new StrategyConfig.Krum(-1)).hasMessageContaining("krum byzantine").hasMessageContaining("got -1");
  }

  @Test
  void configsRoundTripThroughJson() throws Exception {
    var mapper = new ObjectMapper();
    for (StrategyConfig config :
        List.of(
            new StrategyConfig.FedMedian(),
            new StrategyConfig.FedTrimmedAvg(0.1),
            new StrategyConfig.Krum(2),
            new StrategyConfig.MultiKrum(1, 4),
            new StrategyConfig.MultiKrum(1, null),
            new StrategyConfig.Bulyan(3))) {
      String json = mapper.writeValueAsString(config);
      assertThat(mapper.readTree(json).get("type").asText()).isEqualTo(config.name());
      assertThat(mapper.readValue(json, StrategyConfig.class)).isEqualTo(config);
    }
    assertThat(mapper.readValue("{\"type\": \"fedtrimmedavg\"}", StrategyConfig.class)).isEqualTo(new StrategyConfig.FedTrimmedAvg(0.2));
    assertThat(mapper.readValue("{\"type\": \"multikrum\", \"byzantine\": 2, \"select\": 5}", StrategyConfig.class))
        .isEqualTo(new StrategyConfig.MultiKrum(2, 5));
    assertThat(mapper.readValue("{\"type\": \"bulyan\"}", StrategyConfig.class)).isEqualTo(new StrategyConfig.Bulyan(0));
    assertThatThrownBy(() -> mapper.readValue("{\"type\": \"krum\", \"byzantine\": -1}", StrategyConfig.class))
        .isInstanceOf(ValueInstantiationException.class)
        .hasRootCauseInstanceOf(InvalidRequestException.class);
  }
}
