package dev.fedgrid.core.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class SecAggConfigTest {
  @Test
  void defaultsFollowBellEtAlForAHundredClients() {
    SecAggConfig config = SecAggConfig.builder(100, 1000).build();
    // 2 ⌈log2 100⌉ = 14 would abandon 3.4 rounds in a thousand at 10 % drop-out; 18 abandons fewer than 1
    assertThat(config.neighbours()).isEqualTo(18);
    assertThat(config.threshold()).isEqualTo(10);
    assertThat(Reliability.abandonProbability(100, 18, 10, 0.1)).isLessThan(1e-3);
    assertThat(Reliability.abandonProbability(100, 16, 9, 0.1)).isGreaterThan(1e-3);
    assertThat(SecAggConfig.builder(100, 1000).expectedDropout(0.05).build().neighbours()).isEqualTo(14);
    assertThat(config.modulusBits()).isEqualTo(32);
    assertThat(config.quantizationBits()).isEqualTo(16);
    assertThat(config.rounding()).isEqualTo(SecAggConfig.Rounding.NEAREST);
  }

  @Test
  void smallRoundsDefaultToTheCompleteGraphOfBonawitzEtAl() {
    assertThat(SecAggConfig.builder(5, 1).build().neighbours()).isEqualTo(4);
    assertThat(SecAggConfig.builder(2, 1).build()).satisfies(c -> {
      assertThat(c.neighbours()).isEqualTo(1);
      assertThat(c.threshold()).isEqualTo(2);
    });
  }

  @Property(tries = 200)
  void defaultsNeverOverflow(@ForAll @IntRange(min = 2, max = 100_000) int clients, @ForAll @LongRange(min = 1, max = 1_000_000) long maxWeight) {
    SecAggConfig config = SecAggConfig.builder(clients, 1).maxWeight(maxWeight).build();
    assertThat(Math.multiplyHigh(clients * maxWeight, (1L << config.quantizationBits()) - 1)).isZero();
    assertThat(clients * maxWeight * ((1L << config.quantizationBits()) - 1)).isLessThan(1L << config.modulusBits());
    assertThat((clients * (long) config.neighbours()) % 2).isZero();
  }

  @Test
  void aModulusTooSmallForTheClientsIsRefusedNamingTheLimit() {
    assertThatThrownBy(() -> SecAggConfig.builder(100, 10).modulusBits(20).quantizationBits(16).build())
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("100 clients")
        .hasMessageContaining("2^20 modulus")
        .hasMessageContaining("below 2^13")
        .hasMessageContaining("raise modulusBits to 23")
        .satisfies(e -> assertThat(((FedGridException) e).code()).isEqualTo("SECAGG_OVERFLOW_RISK"))
        .satisfies(e -> assertThat(((FedGridException) e).details()).containsEntry("clients", 100).containsEntry("modulusBits", 20).containsEntry("limitBits", 13));
    // Exactly at the limit it fits: 100 * (2^13 - 1) < 2^20.
    assertThat(SecAggConfig.builder(100, 10).modulusBits(20).quantizationBits(13).build().quantizationBits()).isEqualTo(13);
  }

  @Test
  void anExplicitModulusShrinksTheDefaultQuantization() {
    SecAggConfig config = SecAggConfig.builder(1000, 10).modulusBits(24).build();
    assertThat(config.quantizationBits()).isEqualTo(14);
  }

  @Test
  void impossibleGraphsAndThresholdsAreRefused() {
    assertThatThrownBy(() -> SecAggConfig.builder(7, 1).neighbours(3).build()).hasMessageContaining("n k must be even");
    assertThatThrownBy(() -> SecAggConfig.builder(7, 1).neighbours(7).build()).hasMessageContaining("1 to n - 1 = 6");
    assertThatThrownBy(() -> SecAggConfig.builder(7, 1).neighbours(4).threshold(6).build()).hasMessageContaining("threshold").hasMessageContaining("k + 1 = 5");
    assertThatThrownBy(() -> SecAggConfig.builder(7, 1).threshold(1).build()).hasMessageContaining("threshold = 1");
    assertThatThrownBy(() -> SecAggConfig.builder(1, 1).build()).hasMessageContaining("at least 2 clients");
    assertThatThrownBy(() -> SecAggConfig.builder(1000, 1).neighbours(256).build()).hasMessageContaining("at most 254 neighbours");
    assertThatThrownBy(() -> SecAggConfig.builder(7, 1).clip(Float.NaN).build()).hasMessageContaining("clip");
    assertThatThrownBy(() -> SecAggConfig.builder(7, 0).build()).hasMessageContaining("length");
    assertThatThrownBy(() -> SecAggConfig.builder(7, 1).modulusBits(63).build()).hasMessageContaining("2^62");
  }

  @Test
  void nearestRoundingIsWithinHalfAStepAndClips() {
    SecAggConfig config = SecAggConfig.builder(4, 5).clip(1f).quantizationBits(8).build();
    Quantizer quantizer = new Quantizer(config);
    long[] q = quantizer.quantize(new float[] {-3f, -1f, 0f, 0.3f, 7f}, 1, new SplittableRandom(1));
    assertThat(q).containsExactly(0, 0, 128, 166, 255, 1);
    float[] back = quantizer.mean(q, 1);
    double step = 2.0 / 255;
    assertThat((double) back[3]).isCloseTo(0.3, within(step / 2));
    assertThat(back[0]).isEqualTo(-1f);
    assertThat(back[4]).isEqualTo(1f);
  }

  @Test
  void stochasticRoundingIsUnbiased() {
    SecAggConfig config = SecAggConfig.builder(4, 1).clip(1f).quantizationBits(4).rounding(SecAggConfig.Rounding.STOCHASTIC).build();
    Quantizer quantizer = new Quantizer(config);
    SplittableRandom random = new SplittableRandom(3);
    float x = 0.05f;
    double total = 0;
    int trials = 20_000;
    for (int i = 0; i < trials; i++) total += quantizer.mean(quantizer.quantize(new float[] {x}, 1, random), 1)[0];
    assertThat(total / trials).isCloseTo(x, within(0.005));
  }

  @Test
  void weightsMultiplyTheValuesAndRideAlongAsTheLastCoordinate() {
    SecAggConfig config = SecAggConfig.builder(4, 2).maxWeight(10).quantizationBits(8).build();
    long[] q = new Quantizer(config).quantize(new float[] {1f, -1f}, 7, new SplittableRandom(1));
    assertThat(q).containsExactly(7 * 255, 0, 7);
  }
}
