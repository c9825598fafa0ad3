package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fedgrid.cli.CliHelpTest.Run;
import dev.fedgrid.client.FedGridClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedgrid offer|demand|agreement|allocation|debit-note|invoice|ledger} against a real gateway
 * with two real nodes: the owner is the provider side, the data scientist ana the requestor.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MarketCommandsTest {
  private static final String PASSWORD = "correct horse battery staple";
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

  private static JsonNode json(Run run) throws Exception {
    assertThat(run.code()).as(run.err()).isZero();
    return CliCommandsTest.JSON.readTree(run.out());
  }

  @Test
  void malformedPairsAreUsageErrorsNamingTheOption() {
    String owner = grid.owner().token();
    String node = grid.client().nodes().getFirst().id().value();
    int offers = grid.client().market().offers(null, null, 500).items().size();
    Run property = as(owner, "offer", "publish", "--node", node, "--property", "fedgrid.inf.mem.gib");
    assertThat(property.code()).as(property.err()).isEqualTo(2);
    assertThat(property.err()).contains("--property: 'fedgrid.inf.mem.gib' is not KEY=VALUE").doesNotContain("Exception");
    Run perUnit = as(owner, "offer", "publish", "--node", node, "--per-unit", "bytes");
    assertThat(perUnit.code()).as(perUnit.err()).isEqualTo(2);
    assertThat(perUnit.err()).contains("--per-unit: 'bytes' is not COUNTER=AMOUNT");
    Run expect = as(ana, "demand", "publish", "--job", "job_01jd3v6q9e8r4k2m7n5p0s1t2w", "--max-price", "5", "--budget", "40", "--expect", "examples_epochs=x");
    assertThat(expect.code()).as(expect.err()).isEqualTo(2);
    assertThat(expect.err()).contains("--expect: 'examples_epochs=x' needs a whole number of examples_epochs").doesNotContain("Exception");
    assertThat(grid.client().market().offers(null, null, 500).items()).as("nothing was published").hasSize(offers);
  }

  @Test
  void fromAnOfferToAPaidInvoice() throws Exception {
    String owner = grid.owner().token();
    String node = grid.client().nodes().getFirst().id().value();
    String job;
    try (FedGridClient c = grid.clientBuilder().token(ana).build()) {
      job = c.submitJob(TestGrid.spec("market", 1, 1, 3)).id().value();
    }
    String offer = json(as(owner, "offer", "publish", "--node", node, "--property", "fedgrid.inf.mem.gib=16", "--price", "2", "--json")).get("id").asText();
    Run listed = as(ana, "offer", "list", "--constraint", "(fedgrid.inf.mem.gib>=8)");
    assertThat(listed.code()).as(listed.err()).isZero();
    assertThat(listed.out()).contains(offer, node);
    String demand = json(as(ana, "demand", "publish", "--job", job, "--max-price", "5", "--budget", "40", "--json")).get("id").asText();
    String proposal = json(as(ana, "agreement", "propose", "--offer", offer, "--demand", demand, "--json")).get("id").asText();
    String agreement = json(as(ana, "agreement", "create", proposal, "--json")).get("id").asText();
    assertThat(json(as(ana, "agreement", "confirm", agreement, "--json")).get("state").asText()).isEqualTo("PENDING");
    assertThat(json(as(owner, "agreement", "approve", agreement, "--json")).get("state").asText()).isEqualTo("APPROVED");
    Run shown = as(ana, "agreement", "show", agreement);
    assertThat(shown.out()).contains("APPROVED", "CONFIRM", "APPROVE");

    assertThat(as(owner, "ledger", "deposit", "--account", "user:ana", "--amount", "10").code()).isZero();
    Run poor = as(ana, "allocation", "create", "--job", job, "--amount", "11");
    assertThat(poor.code()).isEqualTo(Main.FAILURE);
    assertThat(poor.err()).contains("INSUFFICIENT_FUNDS");
    String allocation = json(as(ana, "allocation", "create", "--job", job, "--amount", "8", "--json")).get("id").asText();
    String invoice = json(as(owner, "invoice", "issue", agreement, "--amount", "3", "--justification", "one round", "--json")).get("id").asText();
    assertThat(json(as(ana, "invoice", "accept", invoice, "--json")).get("status").asText()).isEqualTo("SETTLED");
    Run reject = as(ana, "invoice", "reject", invoice, "--reason", "late");
    assertThat(reject.code()).isEqualTo(Main.FAILURE);
    assertThat(reject.err()).contains("PAYMENT_DOCUMENT_STATE_CONFLICT");
    assertThat(json(as(ana, "invoice", "list", "--agreement", agreement, "--json")).get("items")).hasSize(1);
    assertThat(json(as(ana, "debit-note", "list", "--json")).get("items")).isEmpty();
    assertThat(json(as(ana, "allocation", "show", allocation, "--json")).get("remaining").asText()).isEqualTo("5");
    assertThat(json(as(owner, "ledger", "show", "node:" + node, "--json")).get("balance").asText()).isEqualTo("3");
    assertThat(as(ana, "ledger", "list").out()).contains("user:ana", "2");
    assertThat(json(as(ana, "ledger", "transfers", "--json")).get("items")).hasSize(2);
  }

  @Test
  void badInputFailsWithTheGatewaysCode() {
    Run syntax = as(ana, "offer", "list", "--constraint", "(&(a=1)");
    assertThat(syntax.code()).isEqualTo(Main.FAILURE);
    assertThat(syntax.err()).contains("INVALID_CONSTRAINT", "column");
    Run denied = as(ana, "ledger", "deposit", "--account", "user:ana", "--amount", "1");
    assertThat(denied.code()).isEqualTo(Main.FAILURE);
    assertThat(denied.err()).contains("PERMISSION_DENIED");
    assertThat(as(ana, "agreement").code()).isEqualTo(Main.USAGE);
    assertThat(as(ana, "agreement", "show", "agr_01jd3v6q9e8r4k2m7n5p0s1t2w").err()).contains("AGREEMENT_NOT_FOUND");
  }
}
