package dev.fedgrid.api.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.strategy.StrategyConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class JobSpecTest {
  private static JobSpec spec(StrategyConfig strategy, int minNodes) {
    return new JobSpec("t", List.of("cancer"), ModelSpec.logisticRegression(), null, strategy, 5, minNodes, 60, true);
  }

  @Test
  void defaultsAreFilledIn() {
    JobSpec s = new JobSpec(null, List.of("cancer"), ModelSpec.logisticRegression(), null, null, null, null, null, null);
    assertThat(s.name()).isEqualTo("job");
    assertThat(s.strategy()).isEqualTo(new StrategyConfig.FedAvg());
    assertThat(s.rounds()).isEqualTo(10);
    assertThat(s.minNodes()).isEqualTo(2);
    assertThat(s.roundTimeoutSeconds()).isEqualTo(300);
    assertThat(s.standardize()).isTrue();
    assertThat(s.scaling()).isNull();
  }

  @Test
  void robustStrategiesNeedEnoughNodesPerRound() {
    assertThat(spec(new StrategyConfig.Krum(1), 5).minNodes()).isEqualTo(5); // 2f + 3
    assertThatThrownBy(() -> spec(new StrategyConfig.Krum(1), 4))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("krum as configured needs at least 5 updates per round");
    assertThat(spec(new StrategyConfig.Bulyan(1), 7).minNodes()).isEqualTo(7); // 4f + 3
    assertThatThrownBy(() -> spec(new StrategyConfig.Bulyan(1), 6)).hasMessageContaining("raise --min-nodes to 7");
    assertThatThrownBy(() -> spec(new StrategyConfig.MultiKrum(0, 4), 3)).hasMessageContaining("at least 4");
    assertThat(spec(new StrategyConfig.FedMedian(), 1).minNodes()).isEqualTo(1);
  }

  private static JobSpec dp(StrategyConfig strategy, int minNodes, DifferentialPrivacy privacy) {
    return new JobSpec("t", List.of("cancer"), ModelSpec.logisticRegression(), null, strategy, 5, minNodes, 60, true, null, privacy);
  }

  @Test
  void privacyIsOptionalAndKeptByWithScaling() {
    assertThat(spec(null, 2).privacy()).isNull();
    JobSpec s = dp(null, 2, DifferentialPrivacy.withNoise(1.1));
    assertThat(s.privacy().noiseMultiplier()).isEqualTo(1.1);
    assertThat(s.withScaling(dev.fedgrid.api.dataset.FeatureScaling.identity()).privacy()).isEqualTo(s.privacy());
  }

  @Test
  void privacyNeedsFedAvg() {
    assertThatThrownBy(() -> dp(new StrategyConfig.FedAdam(null, null, null, null), 2, DifferentialPrivacy.withNoise(1.0)))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("differential privacy currently works with fedavg")
        .hasMessageContaining("fedadam")
        .satisfies(e -> assertThat(((InvalidRequestException) e).code()).isEqualTo("INVALID_PRIVACY"));
  }

  @Test
  void adaptiveClippingNeedsMoreThanTenTimesTheNoiseMultiplierInNodes() {
    var adaptive = new DifferentialPrivacy(1.1, null, true, null, null, null);
    assertThatThrownBy(() -> dp(null, 11, adaptive)).hasMessageContaining("needs at least 12 nodes per round").hasMessageContaining("--min-nodes to 12");
    assertThat(dp(null, 12, adaptive).minNodes()).isEqualTo(12);
    assertThat(dp(null, 2, new DifferentialPrivacy(0.1, null, true, null, null, null)).privacy().adaptiveClipping()).isTrue();
  }

  @Test
  void sampleFractionDefaultsToOneAndMustBeInZeroToOne() {
    assertThat(spec(null, 2).sampleFraction()).isEqualTo(1.0);
    JobSpec sampled = new JobSpec("t", List.of("cancer"), ModelSpec.logisticRegression(), null, null, 5, 2, 60, true, null, null, 0.25);
    assertThat(sampled.sampleFraction()).isEqualTo(0.25);
    assertThat(sampled.withScaling(dev.fedgrid.api.dataset.FeatureScaling.identity()).sampleFraction()).isEqualTo(0.25);
    assertThat(sampled.withDatasets(List.of("ds_x")).sampleFraction()).isEqualTo(0.25);
    for (double bad : new double[] {0, -0.5, 1.5, Double.NaN}) {
      assertThatThrownBy(() -> new JobSpec("t", List.of("cancer"), ModelSpec.logisticRegression(), null, null, 5, 2, 60, true, null, null, bad))
          .isInstanceOf(InvalidRequestException.class)
          .satisfies(e -> assertThat(((InvalidRequestException) e).code()).isEqualTo("INVALID_SAMPLE_FRACTION"));
    }
  }

  @Test
  void localPrivacyWorksWithAnyStrategy() {
    var local = dev.fedgrid.api.privacy.DifferentialPrivacy.local(4.0, 1.0);
    assertThat(dp(new StrategyConfig.FedAdam(null, null, null, null), 2, local).privacy().mode()).isEqualTo(dev.fedgrid.api.privacy.PrivacyMode.LOCAL);
    assertThat(dp(new StrategyConfig.Krum(1), 5, local).strategy().name()).isEqualTo("krum");
  }

  @Test
  void adaptiveClippingCountsTheExpectedNodesWhenSampling() {
    var adaptive = new DifferentialPrivacy(1.0, null, true, null, null, null);
    // q = 0.5: q x minNodes must exceed 10, so minNodes 21
    assertThatThrownBy(() -> new JobSpec("t", List.of("cancer"), ModelSpec.logisticRegression(), null, null, 5, 20, 60, true, null, adaptive, 0.5))
        .hasMessageContaining("needs at least 21 nodes per round at sample fraction 0.5");
    assertThat(new JobSpec("t", List.of("cancer"), ModelSpec.logisticRegression(), null, null, 5, 21, 60, true, null, adaptive, 0.5).minNodes()).isEqualTo(21);
  }

  @Test
  void aConfidentialJobCarriesOnlyTheOutlineWithTheSameLayoutAndMustBeAMarketJob() {
    var secret = new ModelSpec(List.of(new dev.fedgrid.api.model.Layer.Dense(8), new dev.fedgrid.api.model.Layer.Tanh(),
        new dev.fedgrid.api.model.Layer.Dropout(0.3), new dev.fedgrid.api.model.Layer.Dense(1)), dev.fedgrid.api.model.Loss.BINARY_CROSS_ENTROPY);
    ModelSpec outline = secret.outline();
    assertThat(outline.parameterLayout(List.of(5))).isEqualTo(secret.parameterLayout(List.of(5)));
    assertThat(outline.outputShape(List.of(5))).isEqualTo(secret.outputShape(List.of(5)));
    assertThat(outline.layers()).containsExactly(new dev.fedgrid.api.model.Layer.Dense(8), ModelSpec.HIDDEN, ModelSpec.HIDDEN, new dev.fedgrid.api.model.Layer.Dense(1));
    assertThat(outline.outline()).isEqualTo(outline);

    var sealed = new dev.fedgrid.api.model.SealedArtifact(dev.fedgrid.api.ArtifactId.random(), dev.fedgrid.api.model.SealedArtifact.ALGORITHM,
        java.util.Base64.getEncoder().encodeToString(new byte[12]), java.util.Base64.getEncoder().encodeToString(new byte[40]),
        List.of("https://a.example.org:7700", "https://b.example.org:7700"), 2);
    JobSpec base = new JobSpec("t", List.of("cancer"), secret, null, null, 5, 2, 60, true);
    JobSpec confidential = base.withConfidential(outline, sealed);
    assertThat(confidential.market()).isTrue();
    assertThat(confidential.model()).isEqualTo(outline);
    assertThat(confidential.withDatasets(List.of("ds")).confidential()).isEqualTo(sealed);
    assertThatThrownBy(() -> confidential.withMarket(false))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("must be a market job")
        .extracting(e -> ((InvalidRequestException) e).code()).isEqualTo("INVALID_CONFIDENTIAL_JOB");
    assertThatThrownBy(() -> base.withConfidential(secret, sealed)).hasMessageContaining("must be the outline of the sealed one");
  }
}
