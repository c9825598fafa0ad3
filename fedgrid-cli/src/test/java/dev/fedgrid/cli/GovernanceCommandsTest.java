package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.cli.CliHelpTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedgrid audit} and the dataset governance commands ({@code dataset list} search, {@code
 * visibility}, {@code grant}, {@code grants}, {@code revoke}) against a real gateway with two real
 * nodes; and {@code audit verify --data-dir} on a stopped gateway's database and on tampered
 * copies of it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GovernanceCommandsTest {
  private static final String PASSWORD = "correct horse battery staple";
  @TempDir static Path dir;
  private static TestGrid grid;

  @BeforeAll
  static void start() throws Exception {
    grid = TestGrid.start(dir);
    grid.client().createUser("ana", "data-scientist", PASSWORD);
  }

  @AfterAll
  static void stop() {
    if (grid != null) grid.close();
  }

  private static Run run(String... args) {
    var all = new ArrayList<>(List.of(args));
    all.add("--gateway");
    all.add(grid.url());
    all.add("--token");
    all.add(grid.owner().token());
    return CliHelpTest.run(all.toArray(String[]::new));
  }

  private static JsonNode json(Run run) throws Exception {
    assertThat(run.code()).as(run.err()).isZero();
    return CliCommandsTest.JSON.readTree(run.out());
  }

  @Test
  void datasetListSearchesByQueryColumnTagAndVisibility() throws Exception {
    assertThat(json(run("dataset", "list", "--tag", "medical", "--json")).get("items")).hasSize(2);
    assertThat(json(run("dataset", "list", "--column", "radius_mean", "--json")).get("items")).hasSize(2);
    assertThat(json(run("dataset", "list", "--query", "IMAG", "--json")).get("items")).hasSize(1);
    assertThat(json(run("dataset", "list", "--visibility", "private", "--json")).get("items")).isEmpty();
    Run table = run("dataset", "list", "--column", "radius_mean");
    assertThat(table.code()).isZero();
    assertThat(table.out()).contains("cancer").doesNotContain("images");
    Run none = run("dataset", "list", "--query", "nothing-like-this");
    assertThat(none.code()).isZero();
    assertThat(none.err()).contains("no datasets match");
    assertThat(run("dataset", "list", "--visibility", "secret").code()).isEqualTo(Main.FAILURE);
  }

  @Test
  void grantsAndVisibilityAreManagedAndShowInTheAuditLog() throws Exception {
    DatasetInfo images = grid.dataset(TestGrid.IMAGES, "hospital-a");
    String id = images.id().value();
    try {
      Run hidden = run("dataset", "visibility", TestGrid.IMAGES, "private");
      assertThat(hidden.code()).as(hidden.err()).isZero();
      assertThat(hidden.out()).contains(id, "private");

      Run granted = run("dataset", "grant", id, "ana", "--process");
      assertThat(granted.code()).as(granted.err()).isZero();
      assertThat(granted.out()).contains("granted ana process on " + id);
      JsonNode grants = json(run("dataset", "grants", id, "--json"));
      assertThat(grants.at("/items/0/user").asText()).isEqualTo("ana");
      assertThat(grants.at("/items/0/process").asBoolean()).isTrue();
      assertThat(run("dataset", "grants", id).out()).contains("ana", "yes", "no", "owner");

      Run unknown = run("dataset", "grant", id, "nobody", "--process");
      assertThat(unknown.code()).isEqualTo(Main.FAILURE);
      assertThat(unknown.err()).contains("USER_NOT_FOUND").contains("nobody");
      assertThat(run("dataset", "grant", id, "ana").code()).isEqualTo(Main.USAGE); // no right named

      Run revoked = run("dataset", "revoke", id, "ana");
      assertThat(revoked.code()).as(revoked.err()).isZero();
      assertThat(json(run("dataset", "grants", id, "--json")).get("items")).isEmpty();

      JsonNode events = json(run("audit", "list", "--target", id, "--json"));
      var actions = new ArrayList<String>();
      events.get("items").forEach(e -> actions.add(e.get("action").asText()));
      assertThat(actions).containsExactly("dataset.visibility", "grant.created", "grant.revoked");
      Run table = run("audit", "list", "--target", id);
      assertThat(table.out()).contains("grant.created", "owner", "user=ana");
    } finally {
      grid.client().setDatasetVisibility(images.id(), dev.fedgrid.api.dataset.Visibility.PUBLIC);
    }
  }

  @Test
  void auditListPagesAndVerifyExitsZeroWhenIntact() throws Exception {
    JsonNode page = json(run("audit", "list", "--limit", "2", "--json"));
    assertThat(page.get("items")).hasSize(2);
    long next = page.get("nextAfter").asLong();
    assertThat(json(run("audit", "list", "--after", Long.toString(next), "--limit", "1", "--json")).at("/items/0/seq").asLong()).isEqualTo(next + 1);
    JsonNode all = json(run("audit", "list", "--all", "--limit", "3", "--json"));
    assertThat(all.has("nextAfter")).isFalse();
    for (int i = 0; i < all.get("items").size(); i++) assertThat(all.at("/items/" + i + "/seq").asLong()).isEqualTo(i + 1);

    Run verify = run("audit", "verify");
    assertThat(verify.code()).as(verify.err()).isZero();
    assertThat(verify.out()).startsWith("intact: ");
    JsonNode v = json(run("audit", "verify", "--json"));
    assertThat(v.get("intact").asBoolean()).isTrue();
    assertThat(run("audit", "verify", "--expected-head", v.get("headHash").asText()).code()).isZero();
    Run rewritten = run("audit", "verify", "--expected-head", "f".repeat(64));
    assertThat(rewritten.code()).isEqualTo(Main.FAILURE);
    assertThat(rewritten.out()).contains("EXPECTED_HEAD_MISSING");
    assertThat(run("audit", "list", "--since", "yesterday").code()).isEqualTo(Main.FAILURE);
  }

  @Test
  void auditFollowPrintsNewEventsUntilItsEndTime() throws Exception {
    long head = json(run("audit", "verify", "--json")).get("verified").asLong();
    String until = Instant.now().plus(Duration.ofSeconds(3)).toString();
    var result = new Run[1];
    Thread follower = Thread.ofVirtual().start(() -> result[0] = run("audit", "follow", "--after", Long.toString(head), "--action", "user.", "--until", until, "--json"));
    grid.client().createUser("follow" + System.nanoTime(), "data-owner", PASSWORD);
    follower.join(Duration.ofSeconds(20));
    assertThat(follower.isAlive()).isFalse();
    assertThat(result[0].code()).as(result[0].err()).isZero();
    List<String> lines = result[0].out().lines().toList();
    assertThat(lines).hasSize(1);
    assertThat(CliCommandsTest.JSON.readTree(lines.getFirst()).get("action").asText()).isEqualTo("user.created");
  }

  @Test
  void verifyWithDataDirReadsAStoppedGatewaysDatabaseAndFindsTampering(@TempDir Path other) throws Exception {
    Path gatewayDir;
    try (TestGrid alone = TestGrid.gatewayOnly(other)) {
      alone.client().createUser("bo", "data-scientist", PASSWORD);
      alone.client().createToken("ci", 1);
      gatewayDir = other.resolve("gateway");
    }
    Run intact = CliHelpTest.run("audit", "verify", "--data-dir", gatewayDir.toString());
    assertThat(intact.code()).as(intact.out() + intact.err()).isZero();
    assertThat(intact.out()).startsWith("intact: ");
    long events = CliCommandsTest.JSON.readTree(CliHelpTest.run("audit", "verify", "--data-dir", gatewayDir.toString(), "--json").out()).get("verified").asLong();
    assertThat(events).isGreaterThanOrEqualTo(3);

    Path edited = copy(gatewayDir, other.resolve("edited"));
    sql(edited, "UPDATE audit_events SET actor = 'mallory' WHERE seq = 2");
    Run broken = CliHelpTest.run("audit", "verify", "--data-dir", edited.toString());
    assertThat(broken.code()).isEqualTo(Main.FAILURE);
    assertThat(broken.out()).contains("BROKEN at event 2 (EDITED)");

    Path removed = copy(gatewayDir, other.resolve("removed"));
    sql(removed, "DELETE FROM audit_events WHERE seq = (SELECT MAX(seq) FROM audit_events)");
    JsonNode truncated = CliCommandsTest.JSON.readTree(CliHelpTest.run("audit", "verify", "--data-dir", removed.toString(), "--json").out());
    assertThat(truncated.get("intact").asBoolean()).isFalse();
    assertThat(truncated.get("problem").asText()).isEqualTo("TRUNCATED");

    Path reordered = copy(gatewayDir, other.resolve("reordered"));
    sql(reordered, "UPDATE audit_events SET seq = -1 WHERE seq = 1", "UPDATE audit_events SET seq = 1 WHERE seq = 2", "UPDATE audit_events SET seq = 2 WHERE seq = -1");
    Run swapped = CliHelpTest.run("audit", "verify", "--data-dir", reordered.toString());
    assertThat(swapped.code()).isEqualTo(Main.FAILURE);
    assertThat(swapped.out()).contains("BROKEN at event 1");

    // the offline check changed nothing: the original still verifies, the edited copy still fails
    assertThat(CliHelpTest.run("audit", "verify", "--data-dir", gatewayDir.toString()).code()).isZero();
    assertThat(CliHelpTest.run("audit", "verify", "--data-dir", edited.toString()).code()).isEqualTo(Main.FAILURE);

    Run missing = CliHelpTest.run("audit", "verify", "--data-dir", other.resolve("nowhere").toString());
    assertThat(missing.code()).isEqualTo(Main.FAILURE);
    assertThat(missing.err()).contains("gateway.db");
  }

  /** A copy of a stopped gateway's database file in a directory of its own. */
  private static Path copy(Path gatewayDir, Path target) throws Exception {
    Files.createDirectories(target);
    Files.copy(gatewayDir.resolve("gateway.db"), target.resolve("gateway.db"));
    return target;
  }

  private static void sql(Path dataDir, String... statements) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dataDir.resolve("gateway.db")); Statement s = c.createStatement()) {
      for (String sql : statements) assertThat(s.executeUpdate(sql)).as(sql).isPositive();
    }
  }
}
