package dev.fedgrid.core.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.core.secagg.SecAggMessage.FromClient;
import dev.fedgrid.core.secagg.SecAggMessage.MaskedInput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SecAggProtocolTest {
  private static final SecAggStage[] DROP_STAGES = {SecAggStage.ADVERTISE_KEYS, SecAggStage.SHARE_KEYS, SecAggStage.MASKED_INPUT, SecAggStage.UNMASKING};

  /** A feasible degree: any of 1..n-1 with n k even. */
  private static int degree(int n, int choice) {
    int k = 1 + Math.floorMod(choice, n - 1);
    return (n * k) % 2 == 0 ? k : k + 1 <= n - 1 ? k + 1 : k - 1;
  }

  private static void assertExact(Rounds.Plan plan, SecAggResult result) {
    long[] expected = plan.expectedSums();
    int d = plan.config().length();
    assertThat(result.sums()).containsExactly(Arrays.copyOf(expected, d));
    assertThat(result.totalWeight()).isEqualTo(expected[d]);
    int[] survivors = java.util.stream.IntStream.range(0, plan.config().clients()).filter(u -> plan.sends(u, SecAggStage.MASKED_INPUT)).toArray();
    assertThat(result.survivors()).containsExactly(survivors);
  }

  @Property(tries = 25)
  void theUnmaskedSumEqualsThePlaintextQuantizedSumExactly(
      @ForAll @IntRange(min = 2, max = 30) int n,
      @ForAll int degreeChoice,
      @ForAll @IntRange(min = 1, max = 12) int length,
      @ForAll @IntRange(min = 1, max = 1000) int maxWeight,
      @ForAll long seed) {
    int k = degree(n, degreeChoice);
    var config = SecAggConfig.builder(n, length).neighbours(k).maxWeight(maxWeight).clip(0.5f).build();
    var plan = Rounds.Plan.of(config, seed);
    assertExact(plan, Rounds.run(plan).result());
  }

  @Property(tries = 25)
  void anyNMinusTDropOutsAtAnyStageAreRecoveredOnTheCompleteGraph(
      @ForAll @IntRange(min = 3, max = 16) int n, @ForAll @IntRange(min = 2, max = 16) int threshold, @ForAll long seed) {
    int t = Math.min(threshold, n);
    var config = SecAggConfig.builder(n, 4).neighbours(n - 1).threshold(t).build();
    Random random = new Random(seed);
    List<Integer> nodes = new ArrayList<>(java.util.stream.IntStream.range(0, n).boxed().toList());
    java.util.Collections.shuffle(nodes, random);
    int drops = random.nextInt(n - t + 1);
    Map<Integer, SecAggStage> dropAt = new HashMap<>();
    for (int i = 0; i < drops; i++) dropAt.put(nodes.get(i), DROP_STAGES[random.nextInt(DROP_STAGES.length)]);
    var plan = Rounds.Plan.of(config, seed).dropping(dropAt);
    assertExact(plan, Rounds.run(plan).result());
  }

  @Property(tries = 20)
  void sparseGraphsEitherRecoverTheExactSumOrAbortCleanly(
      @ForAll @IntRange(min = 8, max = 30) int n, @ForAll @IntRange(min = 0, max = 30) int dropPercent, @ForAll long seed) {
    var config = SecAggConfig.builder(n, 3).build();
    Random random = new Random(seed);
    Map<Integer, SecAggStage> dropAt = new HashMap<>();
    for (int u = 0; u < n; u++) {
      if (random.nextInt(100) < dropPercent) dropAt.put(u, DROP_STAGES[random.nextInt(DROP_STAGES.length)]);
    }
    var plan = Rounds.Plan.of(config, seed).dropping(dropAt);
    List<FromClient> received = new ArrayList<>();
    try {
      assertExact(plan, Rounds.run(plan, received).result());
    } catch (UnavailableException e) {
      assertThat(e.code()).isEqualTo("SECAGG_TOO_FEW_SURVIVORS");
      assertThat(e.getMessage()).contains("stage").contains("threshold " + config.threshold());
    }
  }

  @Test
  void tenPercentDropOutOnTheDefaultSparseGraphIsRecovered() {
    var config = SecAggConfig.builder(30, 50).build();
    assertThat(config.neighbours()).isEqualTo(16); // sparse: fewer than the 29 of the complete graph
    assertThat(config.threshold()).isEqualTo(9);
    var plan = Rounds.Plan.of(config, 7).dropping(Map.of(1, SecAggStage.SHARE_KEYS, 2, SecAggStage.MASKED_INPUT, 3, SecAggStage.UNMASKING));
    SecAggResult result = Rounds.run(plan).result();
    assertExact(plan, result);
  }

  @Test
  void theMeanIsTheWeightedMeanOfTheInputsWithinOneQuantizationStep() {
    var config = SecAggConfig.builder(6, 20).maxWeight(100).clip(2f).build();
    var plan = Rounds.Plan.of(config, 3);
    SecAggResult result = Rounds.run(plan).result();
    double step = 2.0 * config.clip() / ((1 << config.quantizationBits()) - 1);
    for (int i = 0; i < config.length(); i++) {
      double weighted = 0;
      double total = 0;
      for (int u = 0; u < config.clients(); u++) {
        weighted += plan.weights()[u] * Math.clamp(plan.inputs()[u][i], -config.clip(), config.clip());
        total += plan.weights()[u];
      }
      assertThat((double) result.mean()[i]).isCloseTo(weighted / total, within(step));
    }
  }

  @Test
  void masksCancelOnlyAfterUnmasking() {
    var config = SecAggConfig.builder(5, 16).neighbours(4).build();
    var plan = Rounds.Plan.of(config, 11);
    List<FromClient> received = new ArrayList<>();
    SecAggResult result = Rounds.run(plan, received).result();
    long[] maskedSum = new long[config.maskedLength()];
    for (FromClient m : received) {
      if (m instanceof MaskedInput masked) {
        for (int i = 0; i < maskedSum.length; i++) maskedSum[i] = (maskedSum[i] + masked.masked()[i]) & config.modulusMask();
      }
    }
    // The self masks are still in the plain sum of masked vectors: it is not the sum of the inputs...
    long[] expected = plan.expectedSums();
    long equal = java.util.stream.IntStream.range(0, maskedSum.length).filter(i -> maskedSum[i] == expected[i]).count();
    assertThat(equal).isZero();
    // ...which only the unmasking stage reveals.
    assertThat(result.sums()).containsExactly(Arrays.copyOf(expected, config.length()));
  }

  @Test
  void theServerNeverReceivesTheCanaryInput() {
    var config = SecAggConfig.builder(8, 256).neighbours(4).build();
    var plan = Rounds.Plan.of(config, 5).dropping(Map.of(6, SecAggStage.MASKED_INPUT));
    float[] canary = plan.inputs()[0];
    for (int i = 0; i < canary.length; i++) canary[i] = (i % 7) / 7f;
    long[] quantizedCanary = new Quantizer(config).quantize(canary, plan.weights()[0], new SplittableRandom(0));
    List<FromClient> received = new ArrayList<>();
    Rounds.run(plan, received);
    for (FromClient m : received) {
      for (long[] words : wordsOf(m)) {
        // A masked vector agrees with the canary in about d / 2^32 places by chance: none here.
        long matches = java.util.stream.IntStream.range(0, Math.min(words.length, quantizedCanary.length)).filter(i -> words[i] == quantizedCanary[i]).count();
        assertThat(matches).as("message %s", m).isLessThanOrEqualTo(1);
      }
      for (byte[] bytes : bytesOf(m)) {
        assertThat(containsRun(bytes, quantizedCanary)).as("message %s", m).isFalse();
      }
    }
  }

  /** Every long vector a message carries. */
  private static List<long[]> wordsOf(FromClient m) {
    return m instanceof MaskedInput masked ? List.of(masked.masked()) : List.of();
  }

  /** Every byte array a message carries. */
  private static List<byte[]> bytesOf(FromClient m) {
    return switch (m) {
      case SecAggMessage.AdvertiseKeys a -> List.of(a.encryptionKey(), a.maskingKey());
      case SecAggMessage.ShareKeys s -> s.shares().stream().map(SecAggMessage.EncryptedShare::ciphertext).toList();
      case MaskedInput masked -> List.of();
      case SecAggMessage.UnmaskResponse r -> java.util.stream.Stream.concat(r.selfMaskShares().stream(), r.secretKeyShares().stream()).map(SecAggMessage.RevealedShare::value).toList();
    };
  }

  /** Whether four consecutive canary words appear, as 4-byte little-endian values, in the bytes. */
  private static boolean containsRun(byte[] bytes, long[] words) {
    var buffer = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int start = 0; start + 16 <= bytes.length; start++) {
      for (int w = 0; w + 4 <= words.length; w++) {
        boolean all = true;
        for (int j = 0; j < 4 && all; j++) all = (buffer.getInt(start + 4 * j) & 0xFFFFFFFFL) == words[w + j];
        if (all) return true;
      }
    }
    return false;
  }

  @ParameterizedTest
  @EnumSource(names = {"ADVERTISE_KEYS", "SHARE_KEYS", "MASKED_INPUT", "UNMASKING"})
  void fewerThanTSurvivorsAbortTheRoundWithoutASum(SecAggStage stage) {
    var config = SecAggConfig.builder(6, 4).neighbours(5).threshold(4).build();
    Map<Integer, SecAggStage> dropAt = Map.of(0, stage, 1, stage, 2, stage);
    var plan = Rounds.Plan.of(config, 2).dropping(dropAt);
    List<FromClient> received = new ArrayList<>();
    assertThatThrownBy(() -> Rounds.run(plan, received))
        .isInstanceOf(UnavailableException.class)
        .hasMessageContaining("stage " + stage)
        .hasMessageContaining("only 3 of 6")
        .hasMessageContaining("threshold 4")
        .extracting(e -> ((FedGridException) e).code())
        .isEqualTo("SECAGG_TOO_FEW_SURVIVORS");
  }

  @Test
  void aDroppedNodeWhoseShareholdersAllLeaveAbortsInsteadOfReleasingAMaskedSum() {
    var config = SecAggConfig.builder(12, 2).neighbours(4).threshold(2).build();
    var server = new SecAggServer(config, Rounds.RANDOM);
    var setups = server.setup();
    var clients = setups.stream().map(s -> new SecAggClient(s, Rounds.RANDOM)).toList();
    int[] holders = setups.get(0).neighbours();
    clients.forEach(c -> server.receive(c.advertiseKeys()));
    server.closeAdvertiseKeys().forEach(k -> server.receive(clients.get(k.node()).shareKeys(k)));
    for (var f : server.closeShareKeys()) {
      if (f.node() != 0) server.receive(clients.get(f.node()).maskInput(f, new float[2], 1));
    }
    for (var r : server.closeMaskedInput()) {
      if (Arrays.binarySearch(holders, r.node()) < 0) server.receive(clients.get(r.node()).unmask(r));
    }
    assertThatThrownBy(server::finish)
        .isInstanceOf(UnavailableException.class)
        .hasMessageContaining("stage UNMASKING")
        .hasMessageContaining("too few survivors revealed shares");
    assertThat(server.stage()).isEqualTo(SecAggStage.FAILED);
  }

  @Test
  void anAbandonedRoundReleasesNothingLater() {
    var config = SecAggConfig.builder(4, 4).neighbours(3).threshold(3).build();
    var server = new SecAggServer(config, Rounds.RANDOM);
    var clients = server.setup().stream().map(s -> new SecAggClient(s, Rounds.RANDOM)).toList();
    server.receive(clients.get(0).advertiseKeys());
    assertThatThrownBy(server::closeAdvertiseKeys).isInstanceOf(UnavailableException.class);
    assertThat(server.stage()).isEqualTo(SecAggStage.FAILED);
    assertThatThrownBy(server::finish).hasMessageContaining("abandoned earlier").extracting(e -> ((FedGridException) e).code()).isEqualTo("SECAGG_ROUND_FAILED");
    assertThatThrownBy(() -> server.receive(clients.get(1).advertiseKeys())).extracting(e -> ((FedGridException) e).code()).isEqualTo("SECAGG_ROUND_FAILED");
  }

  @Test
  void bonawitzIsTheCompleteGraphCase() {
    var config = SecAggConfig.builder(7, 3).neighbours(6).build();
    var server = new SecAggServer(config, Rounds.RANDOM);
    for (var setup : server.setup()) {
      assertThat(setup.neighbours()).hasSize(6).doesNotContain(setup.node());
    }
  }
}
