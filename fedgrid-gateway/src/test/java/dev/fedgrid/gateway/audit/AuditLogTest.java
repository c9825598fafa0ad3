package dev.fedgrid.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.governance.AuditEvent;
import dev.fedgrid.api.governance.AuditVerification;
import dev.fedgrid.gateway.state.SqlDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The ledger's chain: appends verify, and every way of editing, removing or reordering stored rows
 * behind the gateway's back (raw JDBC on the SQLite file) is found at the row where it happened.
 */
class AuditLogTest {
  @TempDir Path dir;
  private Path file;
  private SqlDatabase db;
  private AuditLog audit;

  /** A clock that moves one millisecond per reading, so every event has its own time. */
  static InstantSource steppingClock() {
    AtomicLong millis = new AtomicLong(Instant.parse("2026-11-03T12:00:00Z").toEpochMilli());
    return () -> Instant.ofEpochMilli(millis.getAndIncrement());
  }

  @BeforeEach
  void open() {
    file = dir.resolve("gateway.db");
    db = SqlDatabase.sqlite(file);
    audit = new AuditLog(db, steppingClock());
  }

  @AfterEach
  void close() {
    db.close();
  }

  /** Appends {@code n} events in one transaction (one commit keeps long ledgers quick to build). */
  private List<AuditEvent> appendMany(int n) {
    return db.transact("append " + n + " events", () -> {
      var events = new ArrayList<AuditEvent>();
      for (int i = 1; i <= n; i++) {
        events.add(audit.append("user" + (i % 3), i % 2 == 0 ? "job.submitted" : "grant.created", "target-" + i, Map.of("n", Integer.toString(i), "why", "test")));
      }
      return events;
    });
  }

  /** Runs SQL on the file through a connection of its own, as someone tampering with it would. */
  private void tamper(String sql, Object... args) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) s.setObject(i + 1, args[i]);
      assertThat(s.executeUpdate()).as(sql).isPositive();
    }
  }

  private static String hex64(char c) {
    return String.valueOf(c).repeat(64);
  }

  @Test
  void aLongChainVerifiesAcrossPagesAndNamesItsHead() {
    List<AuditEvent> events = appendMany(2_345); // more than two verification pages
    AuditVerification v = audit.verify();
    assertThat(v.intact()).as(v.message()).isTrue();
    assertThat(v.verified()).isEqualTo(2_345);
    assertThat(v.headHash()).isEqualTo(events.getLast().hash());
    assertThat(events.get(0).previousHash()).isEqualTo(AuditLog.GENESIS);
    for (int i = 1; i < events.size(); i++) {
      assertThat(events.get(i).seq()).isEqualTo(i + 1);
      assertThat(events.get(i).previousHash()).isEqualTo(events.get(i - 1).hash());
    }
    assertThat(audit.verify(Optional.of(events.get(100).hash())).intact()).isTrue();
  }

  @Test
  void anEmptyLedgerIsIntact() {
    AuditVerification v = audit.verify();
    assertThat(v.intact()).isTrue();
    assertThat(v.verified()).isZero();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "actor, 'mallory', EDITED",
    "action, 'job.deleted', EDITED",
    "target, 'job_other', EDITED",
    "details, '{\"n\":\"7\",\"why\":\"edited\"}', EDITED",
    "at, '2026-11-03T11:00:00.000000000Z', EDITED",
    "hash, '" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" + "', EDITED",
    "previous_hash, '" + "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" + "', CHAIN_BROKEN",
    "details, 'not json', EDITED",
    "seq, 9999, MISSING",
  })
  void editingAnyColumnOfOneRowIsFoundAtThatRow(String column, String value, String problem) throws SQLException {
    appendMany(12);
    assertThat(audit.verify().intact()).isTrue();
    tamper("UPDATE audit_events SET " + column + " = ? WHERE seq = 7", column.equals("seq") ? Long.parseLong(value) : value);
    AuditVerification v = audit.verify();
    assertThat(v.intact()).isFalse();
    assertThat(v.problem()).isEqualTo(problem);
    assertThat(v.brokenAt()).isEqualTo(7);
    assertThat(v.verified()).isEqualTo(6);
    assertThat(v.headHash()).isNull();
    assertThat(v.message()).contains("7");
  }

  @Test
  void editingTheNewestRowIsFoundToo() throws SQLException {
    appendMany(5);
    tamper("UPDATE audit_events SET actor = 'mallory' WHERE seq = 5");
    AuditVerification v = audit.verify();
    assertThat(v.problem()).isEqualTo("EDITED");
    assertThat(v.brokenAt()).isEqualTo(5);
  }

  @Test
  void deletingAMiddleRowIsMissing() throws SQLException {
    appendMany(10);
    tamper("DELETE FROM audit_events WHERE seq = 4");
    AuditVerification v = audit.verify();
    assertThat(v.problem()).isEqualTo("MISSING");
    assertThat(v.brokenAt()).isEqualTo(4);
    assertThat(v.verified()).isEqualTo(3);
  }

  @Test
  void deletingAMiddleRowAndRenumberingTheRestBreaksTheChain() throws SQLException {
    appendMany(10);
    tamper("DELETE FROM audit_events WHERE seq = 4");
    tamper("UPDATE audit_events SET seq = seq - 1 WHERE seq > 4");
    tamper("UPDATE audit_head SET seq = 9");
    AuditVerification v = audit.verify();
    assertThat(v.intact()).isFalse();
    assertThat(v.brokenAt()).isEqualTo(4);
  }

  @Test
  void deletingTheNewestRowIsTruncated() throws SQLException {
    appendMany(10);
    tamper("DELETE FROM audit_events WHERE seq = 10");
    AuditVerification v = audit.verify();
    assertThat(v.problem()).isEqualTo("TRUNCATED");
    assertThat(v.brokenAt()).isEqualTo(10);
    assertThat(v.verified()).isEqualTo(9);
  }

  @Test
  void deletingEveryRowButNotTheHeadIsTruncated() throws SQLException {
    appendMany(3);
    tamper("DELETE FROM audit_events");
    assertThat(audit.verify().problem()).isEqualTo("TRUNCATED");
  }

  @Test
  void deletingTheNewestRowAndMovingTheHeadBackIsCaughtOnlyByAnExpectedHead() throws SQLException {
    List<AuditEvent> events = appendMany(10);
    String kept = events.getLast().hash();
    tamper("DELETE FROM audit_events WHERE seq = 10");
    tamper("UPDATE audit_head SET seq = 9, hash = ?", events.get(8).hash());
    assertThat(audit.verify().intact()).isTrue(); // consistent: nothing inside the file tells
    AuditVerification v = audit.verify(Optional.of(kept));
    assertThat(v.intact()).isFalse();
    assertThat(v.problem()).isEqualTo("EXPECTED_HEAD_MISSING");
  }

  @Test
  void swappingTwoRowsContentsIsFound() throws SQLException {
    appendMany(10);
    // Reorder events 3 and 6: each row takes the other's content, sequence numbers stay.
    tamper("UPDATE audit_events SET seq = -3 WHERE seq = 3");
    tamper("UPDATE audit_events SET seq = 3 WHERE seq = 6");
    tamper("UPDATE audit_events SET seq = 6 WHERE seq = -3");
    AuditVerification v = audit.verify();
    assertThat(v.intact()).isFalse();
    assertThat(v.problem()).isEqualTo("CHAIN_BROKEN");
    assertThat(v.brokenAt()).isEqualTo(3);
  }

  @Test
  void swappingTwoNeighboursIsFound() throws SQLException {
    appendMany(10);
    tamper("UPDATE audit_events SET seq = -1 WHERE seq = 5");
    tamper("UPDATE audit_events SET seq = 5 WHERE seq = 6");
    tamper("UPDATE audit_events SET seq = 6 WHERE seq = -1");
    AuditVerification v = audit.verify();
    assertThat(v.intact()).isFalse();
    assertThat(v.brokenAt()).isEqualTo(5);
  }

  @Test
  void anEventForgedAfterTheHeadIsFound() throws SQLException {
    List<AuditEvent> events = appendMany(4);
    AuditEvent last = events.getLast();
    String at = "2026-11-03T13:00:00.000000000Z";
    String hash = AuditLog.hash(last.hash(), 5, at, "owner", "grant.created", "ds_x", new TreeMap<>());
    tamper("INSERT INTO audit_events (seq, at, actor, action, target, details, previous_hash, hash) VALUES (5, ?, 'owner', 'grant.created', 'ds_x', '{}', ?, ?)",
        at, last.hash(), hash);
    AuditVerification v = audit.verify();
    assertThat(v.intact()).isFalse();
    assertThat(v.problem()).isEqualTo("HEAD_MISMATCH");
    assertThat(v.brokenAt()).isEqualTo(5);
  }

  @Test
  void aConsistentlyRewrittenLedgerPassesAloneButFailsAgainstAKeptHead() throws SQLException {
    appendMany(8);
    String kept = audit.verify().headHash();
    // Rewrite event 3's actor and recompute every hash from there on, head included.
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
      c.setAutoCommit(false);
      String previous;
      try (PreparedStatement s = c.prepareStatement("SELECT hash FROM audit_events WHERE seq = 2"); ResultSet r = s.executeQuery()) {
        r.next();
        previous = r.getString(1);
      }
      try (PreparedStatement s = c.prepareStatement("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3")) {
        s.executeUpdate();
      }
      for (long seq = 3; seq <= 8; seq++) {
        String at, actor, action, target, details;
        try (PreparedStatement s = c.prepareStatement("SELECT at, actor, action, target, details FROM audit_events WHERE seq = ?")) {
          s.setLong(1, seq);
          try (ResultSet r = s.executeQuery()) {
            r.next();
            at = r.getString(1);
            actor = r.getString(2);
            action = r.getString(3);
            target = r.getString(4);
            details = r.getString(5);
          }
        }
        TreeMap<String, String> map = dev.fedgrid.gateway.json.Json.mapper().readValue(details, new com.fasterxml.jackson.core.type.TypeReference<TreeMap<String, String>>() {});
        String hash = AuditLog.hash(previous, seq, at, actor, action, target, map);
        try (PreparedStatement s = c.prepareStatement("UPDATE audit_events SET previous_hash = ?, hash = ? WHERE seq = ?")) {
          s.setString(1, previous);
          s.setString(2, hash);
          s.setLong(3, seq);
          s.executeUpdate();
        }
        previous = hash;
      }
      try (PreparedStatement s = c.prepareStatement("UPDATE audit_head SET hash = ?")) {
        s.setString(1, previous);
        s.executeUpdate();
      }
      c.commit();
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new AssertionError(e);
    }
    assertThat(audit.verify().intact()).isTrue();
    AuditVerification v = audit.verify(Optional.of(kept));
    assertThat(v.intact()).isFalse();
    assertThat(v.problem()).isEqualTo("EXPECTED_HEAD_MISSING");
    assertThat(v.message()).contains(kept);
  }

  @Test
  void changingOnlyTheHeadIsFound() throws SQLException {
    appendMany(4);
    tamper("UPDATE audit_head SET hash = ?", hex64('c'));
    AuditVerification v = audit.verify();
    assertThat(v.problem()).isEqualTo("HEAD_MISMATCH");
    assertThat(v.brokenAt()).isEqualTo(4);
  }

  @Test
  void anAppendInsideATransactionThatFailsLeavesNoEvent() {
    appendMany(2);
    AuditLog.Head before = audit.head().orElseThrow();
    assertThatThrownBy(() -> db.transact("a change that fails", () -> {
      audit.append("ana", "grant.created", "ds_1", Map.of("user", "bo"));
      throw new IllegalStateException("the change failed after its event was appended");
    })).isInstanceOf(IllegalStateException.class);
    assertThat(audit.head()).contains(before);
    assertThat(audit.events(AuditQuery.all(100))).hasSize(2);
    assertThat(audit.verify().intact()).isTrue();
    AuditEvent next = audit.append("ana", "grant.created", "ds_1", Map.of());
    assertThat(next.seq()).isEqualTo(3);
  }

  @Test
  void appendsJoinTheCallersTransactionAndCommitWithIt() {
    db.transact("two changes", () -> {
      audit.append("ana", "grant.created", "ds_1", Map.of());
      audit.append("ana", "grant.revoked", "ds_1", Map.of());
      return null;
    });
    assertThat(audit.events(AuditQuery.all(10))).extracting(AuditEvent::action).containsExactly("grant.created", "grant.revoked");
    assertThat(audit.verify().intact()).isTrue();
  }

  @Test
  void concurrentAppendsFromManyThreadsMakeAGaplessValidChain() throws Exception {
    int threads = 8;
    int each = 40;
    try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
      var futures = new ArrayList<Future<?>>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(pool.submit(() -> {
          for (int i = 0; i < each; i++) audit.append("user" + thread, "job.submitted", "job-" + thread + "-" + i, Map.of("i", Integer.toString(i)));
        }));
      }
      for (Future<?> f : futures) f.get();
    }
    List<AuditEvent> all = audit.events(AuditQuery.all(AuditQuery.MAX_LIMIT));
    assertThat(all).hasSize(threads * each);
    for (int i = 0; i < all.size(); i++) assertThat(all.get(i).seq()).isEqualTo(i + 1);
    AuditVerification v = audit.verify();
    assertThat(v.intact()).as(v.message()).isTrue();
    assertThat(v.verified()).isEqualTo(threads * each);
  }

  @Test
  void verifyingWhileEventsAreAppendedNeverReportsALiveLedgerAsBroken() throws Exception {
    appendMany(1_500);
    var stop = new AtomicBoolean();
    Thread writer = Thread.ofVirtual().start(() -> {
      while (!stop.get()) audit.append("ana", "job.submitted", "job", Map.of());
    });
    try {
      for (int i = 0; i < 5; i++) {
        AuditVerification v = audit.verify();
        assertThat(v.intact()).as(v.message()).isTrue();
      }
    } finally {
      stop.set(true);
      writer.join();
    }
  }

  @Test
  void eventsAreFilteredByActorActionPrefixTargetTimeAndPaged() {
    appendMany(20);
    List<AuditEvent> all = audit.events(AuditQuery.all(100));
    assertThat(all).hasSize(20);
    AuditQuery none = AuditQuery.all(100);
    assertThat(audit.events(new AuditQuery(0, Optional.of("user1"), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), 100)))
        .hasSize(7)
        .allMatch(e -> e.actor().equals("user1"));
    assertThat(audit.events(new AuditQuery(0, Optional.empty(), Optional.of("job."), Optional.empty(), Optional.empty(), Optional.empty(), 100)))
        .hasSize(10)
        .allMatch(e -> e.action().equals("job.submitted"));
    assertThat(audit.events(new AuditQuery(0, Optional.empty(), Optional.of("job"), Optional.empty(), Optional.empty(), Optional.empty(), 100))).isEmpty();
    assertThat(audit.events(new AuditQuery(0, Optional.empty(), Optional.empty(), Optional.of("target-5"), Optional.empty(), Optional.empty(), 100)))
        .extracting(AuditEvent::seq)
        .containsExactly(5L);
    Instant since = all.get(4).at();
    Instant until = all.get(9).at();
    assertThat(audit.events(new AuditQuery(0, Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(since), Optional.of(until), 100)))
        .extracting(AuditEvent::seq)
        .containsExactly(5L, 6L, 7L, 8L, 9L);
    assertThat(audit.events(none.after(18))).extracting(AuditEvent::seq).containsExactly(19L, 20L);
    assertThat(audit.events(none.withLimit(3))).extracting(AuditEvent::seq).containsExactly(1L, 2L, 3L);
    AuditEvent fifth = all.get(4);
    assertThat(fifth.details()).containsEntry("n", "5").containsEntry("why", "test");
    assertThat(fifth.target()).isEqualTo("target-5");
  }

  @Test
  void awaitReturnsAsSoonAsAnEventIsAppended() throws Exception {
    appendMany(2);
    long start = System.nanoTime();
    Thread.ofVirtual().start(() -> {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      }
      audit.append("ana", "login.succeeded", "", Map.of());
    });
    List<AuditEvent> found = audit.await(AuditQuery.all(10).after(2), Duration.ofSeconds(5));
    assertThat(found).extracting(AuditEvent::action).containsExactly("login.succeeded");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
    assertThat(audit.await(AuditQuery.all(10).after(3), Duration.ofMillis(50))).isEmpty();
  }

  @Test
  void aDetailWithoutAValueIsRefused() {
    var details = new java.util.HashMap<String, String>();
    details.put("user", null);
    assertThatThrownBy(() -> audit.append("ana", "grant.created", "ds_1", details))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("user");
    assertThat(audit.head()).isEmpty();
  }
}
