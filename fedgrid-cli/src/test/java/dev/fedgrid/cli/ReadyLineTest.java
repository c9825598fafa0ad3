package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/** The line `gateway start` prints and the pattern the demo, benchmarks and ITs wait for must agree. */
class ReadyLineTest {
  @Test
  void localGridReadsTheGatewaysReadyLineInBothModes() {
    for (boolean tls : new boolean[] {false, true}) {
      Matcher m = LocalGrid.GATEWAY_READY.matcher(GatewayCommand.readyLine("127.0.0.1", 7600, 7601, tls));
      assertThat(m.find()).as("tls=%s", tls).isTrue();
      assertThat(m.group(1)).isEqualTo((tls ? "https" : "http") + "://127.0.0.1:7600");
      assertThat(m.group(2)).isEqualTo("127.0.0.1:7601");
    }
  }

  @Test
  void theGatewaysOwnLogLineIsNotMistakenForTheReadyLine() {
    String log = "2026-11-23T04:23:31.130Z [INFO] Gateway - gateway started: control API http://127.0.0.1:40509, fleet API 127.0.0.1:45561, state in /tmp/x";
    assertThat(LocalGrid.GATEWAY_READY.matcher(log).find()).isFalse();
  }
}
