package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.cli.CliHelpTest.Run;
import dev.fedgrid.client.FedGridClient;
import dev.fedgrid.client.MarketClient.DemandTerms;
import dev.fedgrid.client.MarketClient.OfferTerms;
import dev.fedgrid.client.MarketClient.Price;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedgrid activity} against a real gateway with two real nodes: ana creates an activity
 * under an approved agreement, runs a script whose results print as they arrive, reads the log,
 * and a failing script exits 1.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ActivityCommandTest {
  private static final String PASSWORD = "correct horse battery staple";
  private static final String MODEL = "{\"layers\": [{\"type\": \"dense\", \"units\": 1}], \"loss\": \"binary_cross_entropy\"}";
  @TempDir static Path dir;
  private static TestGrid grid;
  private static String ana;

  @BeforeAll
  static void start() throws Exception {
    grid = TestGrid.start(dir);
    grid.client().createUser("ana", "data-scientist", PASSWORD);
    try (FedGridClient c = grid.clientBuilder().build().login("ana", PASSWORD)) {
      ana = c.session().orElseThrow().token();
    }
  }

  @AfterAll
  static void stop() {
    if (grid != null) grid.close();
  }

  private static Run as(String token, String... args) {
    var all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--gateway", grid.url(), "--token", token));
    return CliHelpTest.run(all.toArray(String[]::new));
  }

  @Test
  void createsExecutesShowsLogsAndTerminates() throws Exception {
    String agreement;
    DatasetInfo dataset;
    try (FedGridClient c = grid.clientBuilder().token(ana).build()) {
      dataset = c.datasets(null, null).getFirst();
      String job = c.submitJob(TestGrid.spec("activity", 1, 1, 3)).id().value();
      var offer = grid.client().market().publishOffer(new OfferTerms(dataset.nodeId().value(), Map.of(), null, new Price("1", Map.of())));
      var demand = c.market().publishDemand(new DemandTerms(job, Map.of(), null, new Price("1", Map.of()), "5", Map.of()));
      agreement = c.market().createAgreement(c.market().propose(offer.id(), demand.id()).id(), null, null).id();
      c.market().confirm(agreement);
      grid.client().market().approve(agreement);
    }
    Run created = as(ana, "activity", "create", agreement, "--json");
    assertThat(created.code()).as(created.err()).isZero();
    String activity = CliCommandsTest.JSON.readTree(created.out()).get("id").asText();

    Path script = Files.writeString(dir.resolve("script.json"), "[{\"deploy\": {\"model\": " + MODEL + ", \"dataset\": \"" + dataset.id() + "\"}},"
        + " {\"start\": {}}, {\"run\": {\"kind\": \"fit\"}}, {\"run\": {\"kind\": \"evaluate\"}}]");
    Run exec = as(ana, "activity", "exec", activity, "--script", script.toString());
    assertThat(exec.code()).as(exec.err()).isZero();
    List<String> lines = exec.out().lines().toList();
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0)).startsWith("[0] deploy ok: deployed a model of 31 parameters").contains("parameters=31");
    assertThat(lines.get(2)).startsWith("[2] run ok: fit ").contains("loss=0.5");
    assertThat(lines.get(3)).startsWith("[3] run ok: evaluated ").contains("accuracy=0.95");

    // a script the table refuses is a failure naming the index; a command failing on the node exits 1 after its result
    Path refused = Files.writeString(dir.resolve("refused.json"), "[{\"terminate\": {}}, {\"start\": {}}]");
    Run conflict = as(ana, "activity", "exec", activity, "--script", refused.toString());
    assertThat(conflict.code()).isEqualTo(Main.FAILURE);
    assertThat(conflict.err()).contains("ACTIVITY_STATE_CONFLICT", "command 1 (start)");
    grid.failFits(99, n -> true);
    Path failing = Files.writeString(dir.resolve("failing.json"), "[{\"run\": {\"kind\": \"fit\", \"seed\": 99}}, {\"terminate\": {}}]");
    Run failed = as(ana, "activity", "exec", activity, "--script", failing.toString());
    assertThat(failed.code()).as(failed.out() + failed.err()).isEqualTo(Main.FAILURE);
    assertThat(failed.out().lines().toList()).containsExactly("[0] run ERROR: fit 1 of seed 99 fails on purpose");
    assertThat(failed.err()).contains("failed at command 0");
    assertThat(as(ana, "activity", "exec", activity, "--script", dir.resolve("missing.json").toString()).code()).isEqualTo(Main.USAGE);

    Run shown = as(ana, "activity", "show", activity);
    assertThat(shown.code()).as(shown.err()).isZero();
    assertThat(shown.out()).contains(activity, "READY", "done", "failed");
    assertThat(shown.out()).as("the fit that succeeded is metered, the failed one is not").containsPattern("usage: [1-9][0-9]* examples x epochs");
    Run logs = as(ana, "activity", "logs", activity);
    assertThat(logs.out()).contains("deployed a model of 31 parameters for 30 features", "command failed after");
    assertThat(as(ana, "activity", "list", "--agreement", agreement).out()).contains(activity);
    JsonNode ended = CliCommandsTest.JSON.readTree(as(ana, "activity", "terminate", activity, "--reason", "done", "--json").out());
    assertThat(ended.get("state").asText()).isEqualTo("TERMINATED");
    Run again = as(ana, "activity", "exec", activity, "--script", failing.toString());
    assertThat(again.code()).isEqualTo(Main.FAILURE);
    assertThat(again.err()).contains("ACTIVITY_TERMINATED");
  }
}
