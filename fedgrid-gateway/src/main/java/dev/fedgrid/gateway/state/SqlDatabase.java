package dev.fedgrid.gateway.state;

import com.fasterxml.jackson.core.JacksonException;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.gateway.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The gateway's one SQL database over JDBC, shared by every store that keeps state in it (jobs and
 * nodes, identities, the audit ledger, budgets and requests): an SQLite file by default, with SQL
 * kept portable for PostgreSQL. The schema is created and upgraded by Flyway from {@code
 * classpath:db/migration} when the database opens.
 *
 * <p><b>Transactions.</b> {@link #transact} runs work as one transaction. A {@code transact} called
 * inside another on the same thread joins the outer one: nothing commits until the outermost
 * returns, and anything thrown anywhere inside rolls all of it back. That is how a change and its
 * audit event, or a job and the privacy budget it reserves, are written atomically by different
 * stores.
 *
 * <p><b>Concurrency and durability.</b> Thread-safe. SQLite has one writer at a time, so the
 * database holds one connection and runs every transaction under a {@link ReentrantLock}: waiting
 * virtual threads park, and only the thread inside SQLite's native code pins its carrier. Because
 * transactions are serialised, a check and the write that depends on it (a budget and its
 * reservation) can never interleave with another transaction. The file runs in WAL mode with {@code
 * synchronous=FULL}, so a transaction that returned is on disk and survives a process crash or a
 * power loss; a commit costs about 0.3 ms here. A 10 s busy timeout covers other processes reading
 * the same file; open one database per file per process (one gateway owns its data directory).
 *
 * <p><b>Storage conventions.</b> Timestamps are RFC 3339 UTC text with nine fractional digits
 * ({@link #text(Instant)}), so an {@link Instant} reads back exactly and text order is time order.
 * JSON documents are written by {@link Json#mapper()}.
 *
 * <p>Errors: a database failure is an {@link InternalException} with code {@code
 * STATE_STORE_FAILED}; a call after {@link #close()} is an {@link UnavailableException} with code
 * {@code STATE_STORE_CLOSED}; an unreadable stored value is an {@link InternalException} with code
 * {@code STATE_STORE_CORRUPT}.
 */
public final class SqlDatabase implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SqlDatabase.class);
  private static final int BUSY_TIMEOUT_MILLIS = 10_000;
  private static final DateTimeFormatter INSTANT =
      new DateTimeFormatterBuilder().appendInstant(9).toFormatter(Locale.ROOT);

  private final String location;
  private final Connection connection;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, PreparedStatement> statements = new HashMap<>(); // guarded by lock
  private boolean closed; // guarded by lock
  private boolean rollbackOnly; // guarded by lock; set when a nested transaction failed

  private SqlDatabase(String location, Connection connection) {
    this.location = location;
    this.connection = connection;
  }

  /**
   * Opens (creating when missing) the SQLite file {@code file} and brings its schema up to date.
   *
   * @param file the database file, such as {@code ~/.fedgrid/gateway/gateway.db}; missing parent
   *     directories are created
   * @throws UnavailableException with code {@code STATE_STORE_UNAVAILABLE} when the file cannot be
   *     created, opened or migrated
   */
  public static SqlDatabase sqlite(Path file) {
    Path path = file.toAbsolutePath().normalize();
    String location = "sqlite:" + path;
    try {
      if (path.getParent() != null) Files.createDirectories(path.getParent());
      SQLiteConfig config = new SQLiteConfig();
      config.setJournalMode(SQLiteConfig.JournalMode.WAL);
      config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
      config.setBusyTimeout(BUSY_TIMEOUT_MILLIS);
      config.enforceForeignKeys(true);
      SQLiteDataSource dataSource = new SQLiteDataSource(config);
      dataSource.setUrl("jdbc:sqlite:" + path);
      migrate(dataSource, "BLOB");
      Connection connection = dataSource.getConnection();
      try {
        connection.setAutoCommit(false);
      } catch (SQLException e) {
        connection.close();
        throw e;
      }
      LOG.info("state store opened at {}", location);
      return new SqlDatabase(location, connection);
    } catch (IOException | SQLException | RuntimeException e) {
      throw new UnavailableException(
          "STATE_STORE_UNAVAILABLE",
          "cannot open the state store " + location + ": " + e.getMessage()
              + "; check that the data directory is writable and not used by a newer FedGrid version",
          Map.of("location", location),
          e);
    }
  }

  /**
   * Opens an existing SQLite file read-only, as it is: no schema change, no write, so that offline
   * tools (such as {@code fedgrid audit verify --data-dir}) can inspect a gateway's state, also
   * while the gateway is stopped. Every {@link #transact} may read; a write fails.
   *
   * @throws UnavailableException with code {@code STATE_STORE_UNAVAILABLE} when the file does not
   *     exist or cannot be opened
   */
  public static SqlDatabase sqliteReadOnly(Path file) {
    Path path = file.toAbsolutePath().normalize();
    String location = "sqlite:" + path + " (read-only)";
    try {
      if (!Files.isRegularFile(path)) throw new IOException("no such file");
      SQLiteConfig config = new SQLiteConfig();
      config.setReadOnly(true);
      config.setBusyTimeout(BUSY_TIMEOUT_MILLIS);
      SQLiteDataSource dataSource = new SQLiteDataSource(config);
      dataSource.setUrl("jdbc:sqlite:" + path);
      Connection connection = dataSource.getConnection();
      try {
        connection.setAutoCommit(false);
      } catch (SQLException e) {
        connection.close();
        throw e;
      }
      return new SqlDatabase(location, connection);
    } catch (IOException | SQLException | RuntimeException e) {
      throw new UnavailableException(
          "STATE_STORE_UNAVAILABLE",
          "cannot open " + path + " to read it: " + e.getMessage() + "; pass the gateway's data directory, which holds gateway.db",
          Map.of("location", location),
          e);
    }
  }

  /** Creates or upgrades the schema; {@code bytesType} is the binary column type (BYTEA on PostgreSQL). */
  private static void migrate(DataSource dataSource, String bytesType) {
    Flyway.configure(SqlDatabase.class.getClassLoader())
        .dataSource(dataSource)
        .locations("classpath:db/migration")
        .placeholders(Map.of("bytes", bytesType))
        .failOnMissingLocations(true)
        .load()
        .migrate();
  }

  /** Where the database lives, such as {@code sqlite:/home/ana/.fedgrid/gateway/gateway.db}. */
  public String location() {
    return location;
  }

  // ---- transactions and statements ----

  /** Work inside a transaction; may throw SQLException. */
  @FunctionalInterface
  public interface Work<T> {
    T run() throws SQLException;
  }

  /** Maps one result row; may throw SQLException. */
  @FunctionalInterface
  public interface RowMapper<T> {
    T map(ResultSet row) throws SQLException;
  }

  /**
   * Runs {@code work} as one transaction: commits when it returns, rolls back when it throws. Called
   * inside another {@code transact} on the same thread, it joins that transaction (see the class
   * comment). {@code what} names the operation in error messages, such as {@code "store job
   * job_01..."}.
   */
  public <T> T transact(String what, Work<T> work) {
    lock.lock();
    boolean outermost = lock.getHoldCount() == 1;
    try {
      if (closed) {
        throw new UnavailableException(
            "STATE_STORE_CLOSED", "cannot " + what + ": the state store " + location + " is closed (the gateway is shutting down)");
      }
      try {
        T result = work.run();
        if (outermost) {
          if (rollbackOnly) {
            rollback(what, null);
            throw new InternalException(
                "STATE_STORE_FAILED", "cannot " + what + ": a part of it failed and was rolled back", Map.of("location", location));
          }
          connection.commit();
        }
        return result;
      } catch (SQLException e) {
        if (outermost) rollback(what, e);
        else rollbackOnly = true;
        throw new InternalException(
            "STATE_STORE_FAILED", "cannot " + what + " in the state store " + location + ": " + e.getMessage(), Map.of("location", location), e);
      } catch (RuntimeException | Error e) {
        if (outermost) rollback(what, e);
        else rollbackOnly = true;
        throw e;
      }
    } finally {
      if (outermost) rollbackOnly = false;
      lock.unlock();
    }
  }

  /** Whether the calling thread is inside {@link #transact}. */
  public boolean inTransaction() {
    return lock.isHeldByCurrentThread();
  }

  private void rollback(String what, Throwable cause) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      if (cause != null) cause.addSuppressed(e);
      LOG.error("state store at {} could not roll back after failing to {}: {}", location, what, e.getMessage());
    }
  }

  /**
   * A prepared statement for {@code sql}, prepared once per database and reused.
   *
   * @throws IllegalStateException when called outside {@link #transact}
   */
  public PreparedStatement statement(String sql) throws SQLException {
    if (!lock.isHeldByCurrentThread()) throw new IllegalStateException("statement() outside transact(): " + sql);
    PreparedStatement s = statements.get(sql);
    if (s == null) {
      s = connection.prepareStatement(sql);
      statements.put(sql, s);
    }
    return s;
  }

  /** Runs a query and maps its first row, if any. */
  public static <T> Optional<T> first(PreparedStatement s, RowMapper<T> mapper) throws SQLException {
    try (ResultSet r = s.executeQuery()) {
      return r.next() ? Optional.ofNullable(mapper.map(r)) : Optional.empty();
    }
  }

  /** Runs a query and maps every row, in order. */
  public static <T> List<T> all(PreparedStatement s, RowMapper<T> mapper) throws SQLException {
    try (ResultSet r = s.executeQuery()) {
      var out = new ArrayList<T>();
      while (r.next()) out.add(mapper.map(r));
      return out;
    }
  }

  /** Closes the database; later calls throw {@code STATE_STORE_CLOSED}. Idempotent. */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) return;
      closed = true;
      for (PreparedStatement s : statements.values()) s.close();
      statements.clear();
      connection.close();
      LOG.info("state store closed at {}", location);
    } catch (SQLException e) {
      LOG.warn("state store at {} did not close cleanly: {}", location, e.getMessage());
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "SqlDatabase[" + location + "]";
  }

  // ---- values ----

  /** Binds a string that may be null. */
  public static void setNullable(PreparedStatement s, int index, String value) throws SQLException {
    if (value == null) s.setNull(index, Types.VARCHAR);
    else s.setString(index, value);
  }

  /** RFC 3339 UTC with exactly nine fractional digits, so that text order is time order. */
  public static String text(Instant instant) {
    return INSTANT.format(Objects.requireNonNull(instant, "timestamp"));
  }

  /** Reads a timestamp written by {@link #text(Instant)}. */
  public static Instant instant(String text) {
    try {
      return Instant.parse(text);
    } catch (RuntimeException e) {
      throw corrupt("timestamp '" + text + "'", e);
    }
  }

  /** Reads a nullable timestamp. */
  public static Instant instantOrNull(String text) {
    return text == null ? null : instant(text);
  }

  /** {@code value} as JSON by the gateway's one mapper. */
  public static String json(Object value) {
    try {
      return Json.mapper().writeValueAsString(value);
    } catch (JacksonException e) {
      throw new InternalException("STATE_STORE_FAILED", "cannot write " + value.getClass().getSimpleName() + " as JSON: " + e.getOriginalMessage(), Map.of(), e);
    }
  }

  /** Reads stored JSON; unreadable JSON is {@code STATE_STORE_CORRUPT}. */
  public static <T> T parse(String json, Class<T> type) {
    try {
      return Json.mapper().readValue(json, type);
    } catch (JacksonException | RuntimeException e) {
      throw corrupt("stored " + type.getSimpleName(), e);
    }
  }

  /** The error for a stored value that cannot be read. */
  public static InternalException corrupt(String what, Throwable cause) {
    return new InternalException(
        "STATE_STORE_CORRUPT", "the state store holds an unreadable " + what + "; restore the state file from a backup", Map.of(), cause);
  }
}
