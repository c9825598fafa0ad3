package dev.fedgrid.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class NodeConfigTest {
  private static final DatasetOption CANCER = DatasetOption.parse("name=cancer,path=x.csv,label=y");

  @Test
  void readsGatewayAddresses() {
    assertThat(NodeConfig.builder().gateway("gw.example.org:7700").dataset(CANCER).build())
        .satisfies(c -> {
          assertThat(c.gatewayHost()).isEqualTo("gw.example.org");
          assertThat(c.gatewayPort()).isEqualTo(7700);
        });
    assertThat(NodeConfig.builder().gateway("localhost").dataset(CANCER).build().gatewayPort()).isEqualTo(7601);
    NodeConfig v6 = NodeConfig.builder().gateway("[::1]:7601").dataset(CANCER).build();
    assertThat(v6.gatewayHost()).isEqualTo("::1");
    assertThat(v6.gateway()).isEqualTo("[::1]:7601");
  }

  @Test
  void appliesDefaults() {
    NodeConfig c = NodeConfig.builder().gateway("localhost:7601").dataset(CANCER).build();

    assertThat(c.nodeName()).isNotBlank();
    assertThat(c.dataDir()).isEqualTo(java.nio.file.Path.of(System.getProperty("user.home"), ".fedgrid", "node"));
    assertThat(c.heartbeatInterval()).isEmpty();
    assertThat(c.maxConcurrentTasks()).isEqualTo(1);
    assertThat(c.reconnectInitialBackoff()).isEqualTo(Duration.ofMillis(250));
    assertThat(c.reconnectMaxBackoff()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void refusesBadSettingsSayingWhich() {
    assertThatThrownBy(() -> NodeConfig.builder().gateway("localhost:http").dataset(CANCER).build()).hasMessageContaining("port 'http' is not a number");
    assertThatThrownBy(() -> NodeConfig.builder().gateway("::1:7601").dataset(CANCER).build()).hasMessageContaining("brackets");
    assertThatThrownBy(() -> NodeConfig.builder().gateway("localhost:0").dataset(CANCER).build()).hasMessageContaining("port must be in [1, 65535]");
    assertThatThrownBy(() -> NodeConfig.builder().gateway("localhost").build()).hasMessageContaining("at least one dataset");
    assertThatThrownBy(() -> NodeConfig.builder().gateway("localhost").dataset(CANCER).dataset(CANCER).build()).hasMessageContaining("two datasets are named 'cancer'");
    assertThatThrownBy(() -> NodeConfig.builder().gateway("localhost").dataset(CANCER).maxConcurrentTasks(0).build()).hasMessageContaining("max concurrent tasks");
    assertThatThrownBy(() -> NodeConfig.builder().gateway("localhost").dataset(CANCER).reconnectBackoff(Duration.ofSeconds(5), Duration.ofSeconds(1)).build())
        .hasMessageContaining("shorter than the initial");
  }

  @Test
  void backoffDoublesUpToItsCapWithBoundedJitter() {
    var backoff = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(10), 0.2, new SplittableRandom(1));
    long[] expected = {250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000};
    for (long base : expected) {
      assertThat(backoff.next().toMillis()).isBetween(Math.round(base * 0.8), Math.round(base * 1.2));
    }
    backoff.reset();
    assertThat(backoff.next().toMillis()).isBetween(200L, 300L);
  }
}
