package dev.fedgrid.gateway.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.governance.AuditVerification;
import dev.fedgrid.gateway.state.SqlDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Whatever single value of whatever row is changed, verification finds it at that row. Each try
 * tampers inside a transaction on the ledger's own connection, verifies (which joins it, so sees
 * the change) and rolls back, so one ledger serves every try.
 */
class AuditLogTamperPropertyTest {
  private static final int EVENTS = 30;
  private static Path dir;
  private static SqlDatabase db;
  private static AuditLog audit;

  /** Thrown to roll a try's tampering back. */
  private static final class Undo extends RuntimeException {
    final AuditVerification verification;

    Undo(AuditVerification verification) {
      super(null, null, false, false);
      this.verification = verification;
    }
  }

  enum Column { SEQ, AT, ACTOR, ACTION, TARGET, DETAILS, PREVIOUS_HASH, HASH }

  @BeforeContainer
  static void open() throws IOException {
    dir = Files.createTempDirectory("fedgrid-audit-properties");
    db = SqlDatabase.sqlite(dir.resolve("gateway.db"));
    audit = new AuditLog(db, AuditLogTest.steppingClock());
    for (int i = 1; i <= EVENTS; i++) audit.append("user" + (i % 4), "grant.created", "ds_" + i, Map.of("n", Integer.toString(i)));
  }

  @AfterContainer
  static void close() throws IOException {
    db.close();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  @Property(tries = 300)
  void anySingleChangeIsFoundAtItsRow(
      @ForAll @IntRange(min = 1, max = EVENTS) int row, @ForAll Column column, @ForAll("values") String value, @ForAll("hashes") String hash) {
    Object replacement = switch (column) {
      case SEQ -> (long) EVENTS + 1 + Math.floorMod(value.hashCode(), 1000);
      case PREVIOUS_HASH, HASH -> hash;
      case DETAILS -> "{\"n\":" + dev.fedgrid.gateway.json.Json.mapper().valueToTree(value) + "}";
      case AT -> "2026-11-0" + (1 + Math.floorMod(value.hashCode(), 9)) + "T00:00:00." + String.format("%09d", Math.floorMod(value.hashCode(), 1_000_000_000)) + "Z";
      default -> value;
    };
    String columnName = column.name().toLowerCase(java.util.Locale.ROOT);
    AuditVerification v;
    try {
      db.transact("tamper", () -> {
        PreparedStatement read = db.statement("SELECT " + columnName + " FROM audit_events WHERE seq = ?");
        read.setLong(1, row);
        Object original = SqlDatabase.first(read, r -> r.getObject(1)).orElseThrow();
        Assume.that(!String.valueOf(original).equals(String.valueOf(replacement)));
        if (column == Column.DETAILS) Assume.that(!value.equals(Integer.toString(row)));
        PreparedStatement s = db.statement("UPDATE audit_events SET " + columnName + " = ? WHERE seq = ?");
        s.setObject(1, replacement);
        s.setLong(2, row);
        assertThat(s.executeUpdate()).isEqualTo(1);
        throw new Undo(audit.verify());
      });
      throw new AssertionError("unreachable");
    } catch (Undo undo) {
      v = undo.verification;
    }
    assertThat(v.intact()).as("%s of event %d set to %s", column, row, replacement).isFalse();
    assertThat(v.brokenAt()).isEqualTo(row);
    assertThat(audit.verify().intact()).as("the change was rolled back").isTrue();
  }

  @Provide
  Arbitrary<String> values() {
    return Arbitraries.strings().ofMinLength(0).ofMaxLength(20);
  }

  @Provide
  Arbitrary<String> hashes() {
    return Arbitraries.bytes().array(byte[].class).ofSize(32).map(b -> HexFormat.of().formatHex(b));
  }
}
