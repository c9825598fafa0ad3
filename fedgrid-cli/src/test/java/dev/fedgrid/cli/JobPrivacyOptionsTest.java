package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.core.dp.CentralDp;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The --dp-* options of {@code fedgrid job submit} and the privacy line of {@code fedgrid job show}. */
class JobPrivacyOptionsTest {
  private static final String OFFLINE = "http://127.0.0.1:9"; // nothing listens: these errors come first

  record Run(int code, String err) {}

  private static Run submit(String... extra) {
    var out = new ByteArrayOutputStream();
    var err = new ByteArrayOutputStream();
    String[] base = {"job", "submit", "--gateway", OFFLINE, "--dataset", "heart", "--model", "logistic"};
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    int code = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), args);
    return new Run(code, err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void dpSettingsWithoutDpNoiseAreUsageErrors() {
    for (String[] option : List.of(new String[] {"--dp-clip", "1"}, new String[] {"--dp-adaptive"}, new String[] {"--dp-delta", "1e-6"}, new String[] {"--dp-mode", "local"})) {
      Run r = submit(option);
      assertThat(r.code()).as(option[0]).isEqualTo(Main.USAGE);
      assertThat(r.err()).contains("apply only with --dp-noise");
    }
  }

  @Test
  void dpNoiseNeedsFedAvgAndAValidValueBeforeTheGatewayIsAsked() {
    Run strategy = submit("--dp-noise", "1.1", "--strategy", "fedprox");
    assertThat(strategy.code()).isEqualTo(Main.USAGE);
    assertThat(strategy.err()).contains("--dp-noise works with --strategy fedavg");

    Run zero = submit("--dp-noise", "0");
    assertThat(zero.err()).contains("noise multiplier must be in (0, 100]").contains("INVALID_PRIVACY").doesNotContain("GATEWAY_UNREACHABLE");

    Run valid = submit("--dp-noise", "1.1", "--dp-clip", "0.5", "--dp-delta", "1e-6");
    assertThat(valid.err()).as("a valid spec gets as far as the gateway").contains("GATEWAY_UNREACHABLE");
  }

  @Test
  void showDescribesPlannedAndSpentEpsilon() {
    var privacy = DifferentialPrivacy.withNoise(1.1);
    JobId job = JobId.random();
    Instant t = Instant.parse("2026-01-01T00:00:00Z");
    var round = new RoundSummary(job, 1, t, t, List.of(), 2, 10, List.of(), Map.of(), Map.of(), CentralDp.epsilon(privacy, 1));
    String line = JobCommand.Show.describe(privacy, 1, 10, List.of(round));
    assertThat(line)
        .startsWith("DP-FedAvg σ 1.1, clip 1.0, δ 1.0E-5: ε " + Format.number(CentralDp.epsilon(privacy, 1)) + " spent of ")
        .endsWith(Format.number(CentralDp.epsilon(privacy, 10)) + " planned (node-level)");
    assertThat(JobCommand.Show.describe(new DifferentialPrivacy(0.5, null, true, null, null, null), 1, 3, List.of()))
        .contains("adaptive clip from 0.1 (quantile 0.5, rate 0.2)").contains("ε 0.0000 spent");
  }
}
