package dev.fedgrid.gateway.audit;

import static dev.fedgrid.gateway.state.SqlDatabase.all;
import static dev.fedgrid.gateway.state.SqlDatabase.first;
import static dev.fedgrid.gateway.state.SqlDatabase.instant;
import static dev.fedgrid.gateway.state.SqlDatabase.text;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.fedgrid.api.governance.AuditEvent;
import dev.fedgrid.api.governance.AuditVerification;
import dev.fedgrid.gateway.json.Json;
import dev.fedgrid.gateway.state.SqlDatabase;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The gateway's audit ledger: an append-only, hash-chained sequence of {@link AuditEvent}s in the
 * gateway's database.
 *
 * <p><b>Atomic with the change.</b> {@link #append} joins the transaction open on the calling
 * thread, so a change and the event recording it commit together or not at all:
 *
 * <pre>{@code
 * db.transact("grant " + user, () -> {
 *   grants.put(...);                                   // the change
 *   audit.append("ana", "grant.created", datasetId, Map.of("user", "bo"));
 *   return null;
 * });
 * }</pre>
 *
 * <p><b>The chain.</b> Each event's hash is SHA-256 over the previous event's hash (32 raw bytes;
 * 32 zero bytes before the first event) followed by this encoding of the event: {@code seq} as an
 * 8-byte big-endian integer, then {@code at} (RFC 3339 text with nine fractional digits), {@code
 * actor}, {@code action} and {@code target} each as a 4-byte big-endian length and its UTF-8 bytes,
 * then the number of details as 4 bytes and each detail, in key order, as key and value encoded the
 * same way. Lengths make the encoding unambiguous ({@code "ab","c"} and {@code "a","bc"} differ).
 * The newest (seq, hash) is also kept in a one-row head table updated in the same transaction, so
 * that {@link #verify()} notices events removed from the end. An attacker who can rewrite the whole
 * file consistently is caught only by comparing the head with a copy kept elsewhere (see {@link
 * #verify(Optional)}).
 *
 * <p>Thread-safe: every method runs in (or joins) a database transaction.
 */
public final class AuditLog {
  /** The previous hash of the first event. */
  public static final String GENESIS = "0".repeat(64);

  private static final String COLUMNS = "seq, at, actor, action, target, details, previous_hash, hash";
  private static final TypeReference<TreeMap<String, String>> DETAILS = new TypeReference<>() {};
  private static final HexFormat HEX = HexFormat.of();
  private static final int VERIFY_PAGE = 1000;

  private final SqlDatabase db;
  private final InstantSource clock;
  private final Object appended = new Object(); // notified after each append, for followers

  public AuditLog(SqlDatabase db, InstantSource clock) {
    this.db = Objects.requireNonNull(db, "db");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Appends an event, joining the caller's transaction when one is open.
   *
   * @param actor who did it: a user name, {@code node:<id>} or {@code system}
   * @param action dotted lower case, such as {@code job.submitted}
   * @param target the id of what it happened to, or empty
   * @param details further facts; never secrets or data rows
   * @return the stored event with its sequence number and hash
   */
  public AuditEvent append(String actor, String action, String target, Map<String, String> details) {
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(action, "action");
    TreeMap<String, String> sorted = new TreeMap<>(details == null ? Map.of() : details);
    sorted.forEach((key, value) -> Objects.requireNonNull(value, () -> "audit detail '" + key + "' of " + action + " is null"));
    String detailsJson = SqlDatabase.json(sorted);
    AuditEvent event = db.transact("append audit event " + action, () -> {
      Head head = head().orElse(new Head(0, GENESIS));
      long seq = head.seq() + 1;
      Instant at = clock.instant();
      String hash = hash(head.hash(), seq, text(at), actor, action, target == null ? "" : target, sorted);
      PreparedStatement insert = db.statement("INSERT INTO audit_events (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      insert.setLong(1, seq);
      insert.setString(2, text(at));
      insert.setString(3, actor);
      insert.setString(4, action);
      insert.setString(5, target == null ? "" : target);
      insert.setString(6, detailsJson);
      insert.setString(7, head.hash());
      insert.setString(8, hash);
      insert.executeUpdate();
      PreparedStatement moveHead = db.statement(
          "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash");
      moveHead.setLong(1, seq);
      moveHead.setString(2, hash);
      moveHead.executeUpdate();
      return new AuditEvent(seq, at, actor, action, target, sorted, head.hash(), hash);
    });
    synchronized (appended) {
      appended.notifyAll();
    }
    return event;
  }

  /** The newest event's sequence number and hash, as recorded in the head table. */
  public Optional<Head> head() {
    return db.transact("read the audit head", () -> first(db.statement("SELECT seq, hash FROM audit_head WHERE id = 1"), r -> new Head(r.getLong(1), r.getString(2))));
  }

  /**
   * Events in sequence order matching every given filter, after {@code afterSeq}, at most {@code
   * limit}.
   */
  public List<AuditEvent> events(AuditQuery query) {
    var where = new ArrayList<String>();
    var args = new ArrayList<Object>();
    where.add("seq > ?");
    args.add(query.afterSeq());
    query.actor().ifPresent(a -> { where.add("actor = ?"); args.add(a); });
    query.action().ifPresent(a -> {
      if (a.endsWith(".")) {
        where.add("substr(action, 1, ?) = ?");
        args.add(a.length());
      } else {
        where.add("action = ?");
      }
      args.add(a);
    });
    query.target().ifPresent(t -> { where.add("target = ?"); args.add(t); });
    query.since().ifPresent(t -> { where.add("at >= ?"); args.add(text(t)); });
    query.until().ifPresent(t -> { where.add("at < ?"); args.add(text(t)); });
    String sql = "SELECT " + COLUMNS + " FROM audit_events WHERE " + String.join(" AND ", where) + " ORDER BY seq LIMIT ?";
    args.add(query.limit());
    return db.transact("list audit events", () -> {
      PreparedStatement s = db.statement(sql);
      for (int i = 0; i < args.size(); i++) s.setObject(i + 1, args.get(i));
      return all(s, AuditLog::row);
    });
  }

  /**
   * Events matching {@code query}, waiting up to {@code maxWait} for the first one when there are
   * none yet (for following the ledger live).
   */
  public List<AuditEvent> await(AuditQuery query, Duration maxWait) throws InterruptedException {
    long deadline = System.nanoTime() + maxWait.toNanos();
    while (true) {
      List<AuditEvent> found = events(query);
      long leftMillis = (deadline - System.nanoTime()) / 1_000_000;
      if (!found.isEmpty() || leftMillis <= 0) return found;
      synchronized (appended) {
        // capped, so an append between the query above and this wait is seen within a second
        appended.wait(Math.min(leftMillis, 1000));
      }
    }
  }

  /** As {@link #verify(Optional)} without an expected head. */
  public AuditVerification verify() {
    return verify(Optional.empty());
  }

  /**
   * Walks the whole ledger and recomputes every hash: the chain is intact when sequence numbers run
   * from 1 without gaps, each event's previous hash is the hash of the event before, each stored
   * hash is the hash of its content, and the head table names the last event. When {@code
   * expectedHead} (a hash published or kept elsewhere earlier) is given, an event with that hash
   * must still be in the ledger.
   *
   * <p>The walk reads a page of events per transaction, so it never holds the database for long;
   * events appended while it runs are walked too before the head is compared. Linear in the
   * number of events.
   */
  public AuditVerification verify(Optional<String> expectedHead) {
    long checked = 0;
    String previous = GENESIS;
    boolean expectedFound = expectedHead.isEmpty();
    while (true) {
      long after = checked;
      List<RawEvent> page = db.transact("read audit events", () -> {
        PreparedStatement s = db.statement("SELECT " + COLUMNS + " FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?");
        s.setLong(1, after);
        s.setInt(2, VERIFY_PAGE);
        return all(s, r -> new RawEvent(r.getLong(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5), r.getString(6), r.getString(7), r.getString(8)));
      });
      for (RawEvent e : page) {
        long expectedSeq = checked + 1;
        if (e.seq() != expectedSeq) {
          return AuditVerification.broken(checked, expectedSeq, "MISSING",
              "event " + expectedSeq + " is missing (the next stored event is " + e.seq() + "); events were removed");
        }
        if (!previous.equals(e.previousHash())) {
          return AuditVerification.broken(checked, e.seq(), "CHAIN_BROKEN",
              "event " + e.seq() + " does not follow event " + (e.seq() - 1) + " (its previous hash differs); events were removed, reordered or replaced");
        }
        if (!recompute(previous, e).equals(e.hash())) {
          return AuditVerification.broken(checked, e.seq(), "EDITED",
              "event " + e.seq() + " (" + e.action() + ") does not match its hash; its content was changed after it was written");
        }
        if (expectedHead.isPresent() && expectedHead.get().equals(e.hash())) expectedFound = true;
        previous = e.hash();
        checked = e.seq();
      }
      if (page.size() == VERIFY_PAGE) continue;
      // The end as of that read. Events appended since are walked on the next pass; the head and
      // the newest stored sequence number are read together, so a live ledger is never misjudged.
      long last = checked;
      End end = db.transact("read the audit head", () -> new End(
          head().orElse(null),
          first(db.statement("SELECT MAX(seq) FROM audit_events"), r -> r.getLong(1)).orElse(0L)));
      if (end.maxSeq() > last) continue;
      long headSeq = end.head() == null ? 0 : end.head().seq();
      if (headSeq > last) {
        return AuditVerification.broken(checked, last + 1, "TRUNCATED",
            "the ledger ends at event " + last + " but its head records event " + headSeq + "; the newest events were removed");
      }
      if (headSeq < last) {
        return AuditVerification.broken(checked, headSeq + 1, "HEAD_MISMATCH",
            "the ledger holds events up to " + last + " but its head records event " + headSeq + "; events were added or the head was changed outside the gateway");
      }
      if (end.head() != null && !end.head().hash().equals(previous)) {
        return AuditVerification.broken(checked, last, "HEAD_MISMATCH",
            "event " + last + " is not the event the head records (its hash differs); the newest event was replaced or the head was changed");
      }
      break;
    }
    if (!expectedFound) {
      return AuditVerification.broken(checked, 0, "EXPECTED_HEAD_MISSING",
          "no event has the expected hash " + expectedHead.get() + "; the ledger was rewritten or truncated since that hash was taken");
    }
    return AuditVerification.intact(checked, previous);
  }

  /** This event's hash recomputed from its stored content, or "" when the content is unreadable. */
  private static String recompute(String previousHash, RawEvent e) {
    try {
      return hash(previousHash, e.seq(), e.at(), e.actor(), e.action(), e.target(), Json.mapper().readValue(e.details(), DETAILS));
    } catch (JacksonException | RuntimeException unreadable) {
      return "";
    }
  }

  private record End(Head head, long maxSeq) {}

  /** The newest event's sequence number and hash. */
  public record Head(long seq, String hash) {}

  /** A stored event as its columns, for verification, which must not trust any of them. */
  private record RawEvent(long seq, String at, String actor, String action, String target, String details, String previousHash, String hash) {}

  static String hash(String previousHash, long seq, String at, String actor, String action, String target, TreeMap<String, String> details) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(HEX.parseHex(previousHash));
      var bytes = new ByteArrayOutputStream(256);
      var out = new DataOutputStream(bytes);
      out.writeLong(seq);
      field(out, at);
      field(out, actor);
      field(out, action);
      field(out, target);
      out.writeInt(details.size());
      for (var d : details.entrySet()) {
        field(out, d.getKey());
        field(out, d.getValue());
      }
      out.flush();
      return HEX.formatHex(sha.digest(bytes.toByteArray()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    } catch (IllegalArgumentException e) {
      throw SqlDatabase.corrupt("audit hash '" + previousHash + "'", e);
    }
  }

  private static void field(DataOutputStream out, String value) throws IOException {
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    out.writeInt(utf8.length);
    out.write(utf8);
  }

  private static AuditEvent row(ResultSet r) throws SQLException {
    TreeMap<String, String> details;
    try {
      details = Json.mapper().readValue(r.getString(6), DETAILS);
    } catch (JacksonException | RuntimeException e) {
      throw SqlDatabase.corrupt("audit event " + r.getLong(1), e);
    }
    return new AuditEvent(r.getLong(1), instant(r.getString(2)), r.getString(3), r.getString(4), r.getString(5), details, r.getString(7), r.getString(8));
  }
}
