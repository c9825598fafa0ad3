package dev.fedgrid.api.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.model.ModelSpec;
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
}
