package dev.fedgrid.gateway.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.RoundSummary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Runs the {@link StateStoreContract} on an SQLite file, plus what is particular to SQLite. */
class SqliteStateStoreTest extends StateStoreContract {
  @Override
  protected StateStore open(Path dir) {
    return SqlStateStore.sqlite(file(dir));
  }

  private static Path file(Path dir) {
    return dir.resolve("gateway").resolve("state.db");
  }

  @Test
  void createsTheFileInWalMode() throws SQLException {
    assertThat(file(dir)).isRegularFile();
    assertThat(query("PRAGMA journal_mode")).containsExactly("wal");
    assertThat(query("SELECT version FROM flyway_schema_history WHERE success = 0")).isEmpty();
    assertThat(query("SELECT version FROM flyway_schema_history WHERE success = 1")).contains("1", "2");
  }

  @Test
  void keepsRoundZeroAndTheNewestRoundCheckpoints() throws SQLException {
    Job running = startedJob(1);
    store.saveInitialCheckpoint(running.id(), parameters(0));
    for (int round = 1; round <= 5; round++) {
      store.completeRound(with(running, JobState.RUNNING, round), summary(running.id(), round), new Checkpoint(round, parameters(round), strategyState(round)));
    }
    assertThat(query("SELECT round FROM checkpoints ORDER BY round")).containsExactly("0", "4", "5");
    assertThat(query("SELECT COUNT(*) FROM rounds")).containsExactly("5");
  }

  @Test
  void aFailureHalfWayThroughCompleteRoundRollsEverythingBack() throws SQLException {
    Job running = startedJob(1);
    execute("CREATE TRIGGER refuse_checkpoints BEFORE INSERT ON checkpoints BEGIN SELECT RAISE(ABORT, 'disk full'); END");

    assertThatThrownBy(() -> store.completeRound(with(running, JobState.RUNNING, 1), summary(running.id(), 1), new Checkpoint(1, parameters(1), Map.of())))
        .isInstanceOf(InternalException.class)
        .hasMessageContaining("record round 1 of job " + running.id())
        .hasMessageContaining("disk full")
        .extracting(e -> ((FedGridException) e).code())
        .isEqualTo("STATE_STORE_FAILED");
    assertThat(store.rounds(running.id())).isEmpty(); // the round row inserted before the failure is gone
    assertThat(store.job(running.id())).contains(running);

    execute("DROP TRIGGER refuse_checkpoints");
    RoundSummary s1 = summary(running.id(), 1);
    store.completeRound(with(running, JobState.RUNNING, 1), s1, new Checkpoint(1, parameters(1), Map.of()));
    assertThat(store.rounds(running.id())).containsExactly(s1);
  }

  @Test
  void storesTimestampsAsSortableText() throws SQLException {
    store.insertJob(job(1, JobState.QUEUED));
    assertThat(query("SELECT created_at FROM jobs")).containsExactly(SqlDatabase.text(T0.plusMillis(1)));
    assertThat(SqlDatabase.text(T0.plusMillis(1))).isEqualTo("2026-11-03T12:04:31.124456789Z");
    assertThat(SqlDatabase.text(Instant.parse("2026-11-03T12:04:31Z"))).isEqualTo("2026-11-03T12:04:31.000000000Z");
  }

  @Test
  void callsAfterCloseSayTheStoreIsClosed() {
    store.close();
    store.close(); // idempotent
    assertThatThrownBy(() -> store.jobs(List.of(), Optional.empty(), 10))
        .isInstanceOf(UnavailableException.class)
        .hasMessageContaining("closed")
        .extracting(e -> ((FedGridException) e).code())
        .isEqualTo("STATE_STORE_CLOSED");
  }

  @Test
  void anUnusableLocationIsAClearError() throws Exception {
    Path blocker = Files.writeString(dir.resolve("not-a-directory"), "x");
    assertThatThrownBy(() -> SqlStateStore.sqlite(blocker.resolve("state.db")))
        .isInstanceOf(UnavailableException.class)
        .hasMessageContaining(blocker.toString())
        .extracting(e -> ((FedGridException) e).code())
        .isEqualTo("STATE_STORE_UNAVAILABLE");
  }

  private void execute(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file(dir));
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  /** Runs a query on a second connection to the same file, as another process would. */
  private List<String> query(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file(dir));
        Statement s = c.createStatement();
        ResultSet r = s.executeQuery(sql)) {
      var out = new ArrayList<String>();
      while (r.next()) out.add(r.getString(1));
      return out;
    }
  }
}
