package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Human output of values, including the long durations that rounds of the test grid never take. */
class FormatTest {
  private static final Instant T0 = Instant.parse("2026-11-02T10:15:30.250Z");

  @Test
  void durationsReadAsSecondsMinutesOrHours() {
    assertThat(Format.duration(T0, T0.plusMillis(4_000))).isEqualTo("4.0s");
    assertThat(Format.duration(T0, T0.plusMillis(59_940))).isEqualTo("59.9s");
    assertThat(Format.duration(T0, T0.plusSeconds(75))).isEqualTo("1m15s");
    assertThat(Format.duration(T0, T0.plusSeconds(2 * 3600 + 10 * 60 + 5))).isEqualTo("2h10m");
    assertThat(Format.duration(T0, null)).isEqualTo("-");
  }

  @Test
  void metricsAreSortedWithFourDecimals() {
    assertThat(Format.metrics(Map.of("loss", 0.4, "accuracy", 0.81234))).isEqualTo("accuracy 0.8123, loss 0.4000");
    assertThat(Format.metrics(Map.of())).isEqualTo("-");
  }

  @Test
  void instantsAndSizes() {
    assertThat(Format.instant(T0)).isEqualTo("2026-11-02T10:15:30Z");
    assertThat(Format.instant(null)).isEqualTo("-");
    assertThat(Format.bytes(999)).isEqualTo("999 B");
    assertThat(Format.bytes(12_345)).isEqualTo("12.3 kB");
    assertThat(Format.bytes(5_600_000)).isEqualTo("5.6 MB");
  }
}
