package dev.fedgrid.api.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.InvalidRequestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DifferentialPrivacyTest {
  @Test
  void fixedClippingDefaults() {
    DifferentialPrivacy p = DifferentialPrivacy.withNoise(1.1);
    assertThat(p.noiseMultiplier()).isEqualTo(1.1);
    assertThat(p.clipNorm()).isEqualTo(1.0);
    assertThat(p.adaptiveClipping()).isFalse();
    assertThat(p.targetQuantile()).isNull();
    assertThat(p.clipLearningRate()).isNull();
    assertThat(p.delta()).isEqualTo(1e-5);
  }

  @Test
  void adaptiveClippingTakesThePapersDefaults() {
    DifferentialPrivacy p = new DifferentialPrivacy(0.5, null, true, null, null, null);
    assertThat(p.clipNorm()).isEqualTo(0.1);
    assertThat(p.targetQuantile()).isEqualTo(0.5);
    assertThat(p.clipLearningRate()).isEqualTo(0.2);
    assertThat(new DifferentialPrivacy(0.5, 2.0, true, 0.7, 0.1, 1e-6)).satisfies(q -> {
      assertThat(q.clipNorm()).isEqualTo(2.0);
      assertThat(q.targetQuantile()).isEqualTo(0.7);
      assertThat(q.clipLearningRate()).isEqualTo(0.1);
      assertThat(q.delta()).isEqualTo(1e-6);
    });
  }

  @Test
  void centralIsTheDefaultModeAndLocalRefusesAdaptiveClipping() {
    assertThat(DifferentialPrivacy.withNoise(1.1).mode()).isEqualTo(PrivacyMode.CENTRAL);
    assertThat(new DifferentialPrivacy(1.1, null, null, null, null, null, null).mode()).isEqualTo(PrivacyMode.CENTRAL);
    DifferentialPrivacy local = DifferentialPrivacy.local(4.0, 0.5);
    assertThat(local.mode()).isEqualTo(PrivacyMode.LOCAL);
    assertThat(local.clipNorm()).isEqualTo(0.5);
    assertThat(local.delta()).isEqualTo(1e-5);
    assertThatThrownBy(() -> new DifferentialPrivacy(1.0, null, true, null, null, null, PrivacyMode.LOCAL))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("adaptive clipping is central only");
  }

  @Test
  void theNoiseMultiplierIsRequired() {
    assertThatThrownBy(() -> new DifferentialPrivacy(null, 1.0, null, null, null, null))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("needs a noiseMultiplier")
        .satisfies(e -> assertThat(((InvalidRequestException) e).code()).isEqualTo("INVALID_PRIVACY"));
  }

  @ParameterizedTest
  @ValueSource(doubles = {0, -1, 100.5, Double.NaN, Double.POSITIVE_INFINITY})
  void outOfRangeNoiseIsRefused(double z) {
    assertThatThrownBy(() -> DifferentialPrivacy.withNoise(z)).isInstanceOf(InvalidRequestException.class).hasMessageContaining("noise multiplier");
  }

  @Test
  void outOfRangeValuesAreRefusedWithTheirName() {
    assertThatThrownBy(() -> new DifferentialPrivacy(1.0, 0.0, null, null, null, null)).hasMessageContaining("clip norm");
    assertThatThrownBy(() -> new DifferentialPrivacy(1.0, Double.NaN, null, null, null, null)).hasMessageContaining("clip norm");
    assertThatThrownBy(() -> new DifferentialPrivacy(1.0, null, null, null, null, 0.1)).hasMessageContaining("delta must be in (0, 0.1)");
    assertThatThrownBy(() -> new DifferentialPrivacy(1.0, null, null, null, null, 0.0)).hasMessageContaining("delta");
    assertThatThrownBy(() -> new DifferentialPrivacy(1.0, null, true, 1.5, null, null)).hasMessageContaining("target quantile");
    assertThatThrownBy(() -> new DifferentialPrivacy(1.0, null, true, null, 0.0, null)).hasMessageContaining("clip learning rate");
  }

  @Test
  void adaptiveSettingsWithoutAdaptiveClippingAreRefused() {
    assertThatThrownBy(() -> new DifferentialPrivacy(1.0, null, false, 0.5, null, null))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("apply only with adaptiveClipping");
  }
}
