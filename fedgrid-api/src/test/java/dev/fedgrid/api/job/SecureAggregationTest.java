package dev.fedgrid.api.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.privacy.PrivacyMode;
import dev.fedgrid.api.strategy.StrategyConfig;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Submission-time validation of a job's secure aggregation. */
class SecureAggregationTest {
  private static JobSpec spec(StrategyConfig strategy, int minNodes, DifferentialPrivacy privacy, SecureAggregation secure) {
    return new JobSpec("t", List.of("cancer"), ModelSpec.logisticRegression(), null, strategy, 5, minNodes, 60, true, null, privacy, null, null, null, secure);
  }

  static List<StrategyConfig> robust() {
    return List.of(new StrategyConfig.FedMedian(), new StrategyConfig.FedTrimmedAvg(0.2), new StrategyConfig.Krum(1), new StrategyConfig.MultiKrum(1, null),
        new StrategyConfig.Bulyan(1));
  }

  @ParameterizedTest
  @MethodSource("robust")
  void robustStrategiesAreRefusedNamingTheStrategyAndTheOnesThatWork(StrategyConfig strategy) {
    assertThatThrownBy(() -> spec(strategy, 10, null, SecureAggregation.secAggPlus()))
        .isInstanceOf(InvalidRequestException.class)
        .hasFieldOrPropertyWithValue("code", "SECURE_AGGREGATION_UNSUPPORTED_STRATEGY")
        .hasMessageContaining(strategy.name())
        .hasMessageContaining("fedavg, fedprox, fedavgm, fedadagrad, fedadam, fedyogi");
  }

  @Test
  void meanBasedStrategiesAndFixedClipCentralDpAreAcceptedWithDefaultsFilledIn() {
    for (var strategy : List.<StrategyConfig>of(new StrategyConfig.FedAvg(), new StrategyConfig.FedProx(0.1), new StrategyConfig.FedAdam(null, null, null, null))) {
      var s = spec(strategy, 3, null, SecureAggregation.secAggPlus()).secureAggregation();
      assertThat(s.protocol()).isEqualTo("secagg+");
      assertThat(s.range()).isEqualTo(1.0);
      assertThat(s.quantizationBits()).isEqualTo(16);
      assertThat(s.stageTimeoutSeconds()).isEqualTo(60);
    }
    var dp = new DifferentialPrivacy(1.0, 0.5, null, null, null, null);
    assertThat(spec(new StrategyConfig.FedAvg(), 3, dp, SecureAggregation.secAggPlus()).secureAggregation().range()).as("the clip norm bounds every value").isEqualTo(0.5);
    var local = new DifferentialPrivacy(1.0, 0.5, null, null, null, null, PrivacyMode.LOCAL);
    assertThat(spec(new StrategyConfig.FedMedian(), 3, local, null).secureAggregation()).isNull();
    assertThat(spec(new StrategyConfig.FedAvg(), 3, local, SecureAggregation.secAggPlus()).secureAggregation().range()).isEqualTo(1.0);
  }

  @Test
  void adaptiveClippingIsRefusedSinceItNeedsEachUpdatesNorm() {
    var adaptive = new DifferentialPrivacy(0.5, null, true, null, null, null);
    assertThatThrownBy(() -> spec(new StrategyConfig.FedAvg(), 10, adaptive, SecureAggregation.secAggPlus()))
        .hasFieldOrPropertyWithValue("code", "SECURE_AGGREGATION_UNSUPPORTED_PRIVACY").hasMessageContaining("adaptive clipping");
  }

  @Test
  void impossibleNeighboursThresholdsAndNodeCountsAreRefusedWithWhatToDo() {
    assertThatThrownBy(() -> spec(new StrategyConfig.FedAvg(), 1, null, SecureAggregation.secAggPlus()))
        .hasFieldOrPropertyWithValue("code", "INVALID_SECURE_AGGREGATION").hasMessageContaining("at least 2 nodes");
    assertThatThrownBy(() -> spec(new StrategyConfig.FedAvg(), 3, null, new SecureAggregation(null, 4, null, null, null, null)))
        .hasFieldOrPropertyWithValue("code", "INVALID_SECURE_AGGREGATION").hasMessageContaining("raise --min-nodes to 5");
    assertThatThrownBy(() -> new SecureAggregation(null, 2, 4, null, null, null)).hasMessageContaining("exceeds neighbours + 1 = 3");
    assertThatThrownBy(() -> new SecureAggregation(null, null, 1, null, null, null)).hasMessageContaining("at least 2");
    assertThatThrownBy(() -> spec(new StrategyConfig.FedAvg(), 3, null, new SecureAggregation(null, null, 4, null, null, null)))
        .hasMessageContaining("threshold 4 needs at least 4 nodes");
    assertThatThrownBy(() -> new SecureAggregation("secagg", null, null, null, null, null)).hasMessageContaining("the only one is secagg+");
    assertThatThrownBy(() -> new SecureAggregation(null, null, null, -1.0, null, null)).hasMessageContaining("range must be in (0, 1e6]");
    assertThatThrownBy(() -> new SecureAggregation(null, null, null, null, 33, null)).hasMessageContaining("quantizationBits");
    assertThatThrownBy(() -> new SecureAggregation(null, null, null, null, null, 0)).hasMessageContaining("stageTimeoutSeconds");
  }

  @Test
  void theSettingSurvivesTheSpecsOtherCopies() {
    JobSpec s = spec(new StrategyConfig.FedAvg(), 3, null, new SecureAggregation(null, 2, 2, 0.5, 12, 30));
    assertThat(s.withDatasets(List.of("ds_1")).withMarket(true).secureAggregation()).isEqualTo(s.secureAggregation());
    assertThat(s.withSecureAggregation(null).secureAggregation()).isNull();
  }
}
