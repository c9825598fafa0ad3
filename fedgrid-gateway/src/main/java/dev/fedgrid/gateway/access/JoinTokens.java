package dev.fedgrid.gateway.access;

import static dev.fedgrid.gateway.state.SqlDatabase.all;
import static dev.fedgrid.gateway.state.SqlDatabase.first;
import static dev.fedgrid.gateway.state.SqlDatabase.instant;
import static dev.fedgrid.gateway.state.SqlDatabase.instantOrNull;
import static dev.fedgrid.gateway.state.SqlDatabase.text;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JoinTokenId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.api.node.IssuedJoinToken;
import dev.fedgrid.api.node.JoinToken;
import dev.fedgrid.api.node.JoinTokenState;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.fleet.NodeEnrolment;
import dev.fedgrid.gateway.fleet.NodeHello;
import dev.fedgrid.gateway.state.SqlDatabase;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Single-use join tokens: how a new node enrols with the gateway. Someone with {@code
 * can_manage_infrastructure} issues a token (optionally for one node name, valid 24 h by default
 * and at most 30 days), hands its secret to the node's operator, who starts the node with {@code
 * --join-token}; the node's first registration consumes it. Afterwards the node returns with the
 * id and node token it got, and needs no join token again.
 *
 * <p><b>Secrets.</b> A token is {@code fgj_} and 43 base64url characters (256 random bits from a
 * {@link SecureRandom}). Only its SHA-256 is stored; the secret is shown once, in the {@link
 * IssuedJoinToken}, and never logged or put into an audit event.
 *
 * <p><b>Single use.</b> {@link #enrol} checks the token, stores the node and marks the token used in
 * one database transaction; transactions are serialised (see {@link SqlDatabase}), so of two nodes
 * racing with one token exactly one enrols, and a node that fails to be stored leaves the token
 * unused. Issuing, revoking and enrolling each append their audit event ({@code
 * node.join-token.created}, {@code node.join-token.revoked}, {@code node.enrolled}) in the same
 * transaction as the change.
 *
 * <p>Thread-safe.
 */
public final class JoinTokens implements NodeEnrolment {
  /** How long a token enrols when the issuer does not say. */
  public static final Duration DEFAULT_LIFETIME = Duration.ofHours(24);
  /** The longest lifetime a token may have: 30 days. */
  public static final Duration MAX_LIFETIME = Duration.ofHours(720);
  /** What every join token's secret starts with. */
  public static final String SECRET_PREFIX = "fgj_";

  static final int MAX_NODE_NAME_LENGTH = 128;
  private static final Logger LOG = LoggerFactory.getLogger(JoinTokens.class);
  private static final String COLUMNS = "id, node_name, created_by, created_at, expires_at, used_at, node_id, revoked_at";

  private final SqlDatabase db;
  private final AuditLog audit;
  private final InstantSource clock;

  /**
   * @param db the gateway's database, the one its nodes are stored in (so that a node and the
   *     token it used commit together)
   * @param audit the ledger the token events go to
   * @param clock decides when tokens expire
   */
  public JoinTokens(SqlDatabase db, AuditLog audit, InstantSource clock) {
    this.db = Objects.requireNonNull(db, "db");
    this.audit = Objects.requireNonNull(audit, "audit");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Issues a token.
   *
   * @param caller who issues it; needs {@code can_manage_infrastructure}
   * @param nodeName the only node name the token enrols, or empty for any name
   * @param lifetime how long it enrols: positive, at most {@link #MAX_LIFETIME}
   * @return the token with its secret, which is not kept and cannot be shown again
   * @throws PermissionDeniedException when the caller lacks the permission
   * @throws InvalidRequestException with code {@code INVALID_JOIN_TOKEN} for a bad name or lifetime
   */
  public IssuedJoinToken issue(Principal caller, Optional<String> nodeName, Duration lifetime) {
    caller.require(Permission.MANAGE_INFRASTRUCTURE, "issue node join tokens");
    nodeName.ifPresent(JoinTokens::checkNodeName);
    if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(MAX_LIFETIME) > 0) {
      throw new InvalidRequestException(
          "INVALID_JOIN_TOKEN", "a join token's lifetime must be 1 to " + MAX_LIFETIME.toHours() + " hours, got " + lifetime.toHours() + " hours");
    }
    String secret = Secrets.random(SECRET_PREFIX, 32);
    JoinTokenId id = JoinTokenId.random();
    Instant now = clock.instant();
    Instant expiresAt = now.plus(lifetime);
    db.transact("issue join token " + id, () -> {
      PreparedStatement insert = db.statement(
          "INSERT INTO join_tokens (id, token_hash, node_name, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)");
      insert.setString(1, id.value());
      insert.setString(2, hash(secret));
      SqlDatabase.setNullable(insert, 3, nodeName.orElse(null));
      insert.setString(4, caller.name());
      insert.setString(5, text(now));
      insert.setString(6, text(expiresAt));
      insert.executeUpdate();
      var details = new LinkedHashMap<String, String>();
      details.put("nodeName", nodeName.orElse("*"));
      details.put("expiresAt", expiresAt.toString());
      audit.append(caller.name(), "node.join-token.created", id.value(), details);
      return null;
    });
    LOG.info("user {} issued join token {} for {}, valid until {}", caller.name(), id, nodeName.map(n -> "node '" + n + "'").orElse("any node name"), expiresAt);
    return new IssuedJoinToken(secret, id, expiresAt, nodeName.orElse(null));
  }

  /** Every token ever issued, newest first, with its state now; never a secret. */
  public List<JoinToken> list() {
    Instant now = clock.instant();
    return db.transact("list join tokens", () -> all(db.statement("SELECT " + COLUMNS + " FROM join_tokens ORDER BY id DESC"), r -> row(r).info(now)));
  }

  /**
   * Revokes a token that has not been used, so that it enrols nothing. Revoking a revoked token
   * changes nothing.
   *
   * @param caller who revokes it; needs {@code can_manage_infrastructure}
   * @return the token as it is now
   * @throws NotFoundException with code {@code JOIN_TOKEN_NOT_FOUND}
   * @throws ConflictException with code {@code JOIN_TOKEN_USED} when a node already enrolled with it
   */
  public JoinToken revoke(Principal caller, JoinTokenId id) {
    caller.require(Permission.MANAGE_INFRASTRUCTURE, "revoke node join tokens");
    Instant now = clock.instant();
    return db.transact("revoke join token " + id, () -> {
      Row row = find(id).orElseThrow(() -> new NotFoundException(
          "JOIN_TOKEN_NOT_FOUND", "there is no join token " + id + "; 'fedgrid node join-token list' shows them", Map.of("id", id.value())));
      if (row.usedAt != null) {
        throw new ConflictException(
            "JOIN_TOKEN_USED",
            "join token " + id + " already enrolled node " + row.nodeId + " at " + row.usedAt + " and cannot enrol another; to shut that node out, stop it",
            Map.of("id", id.value(), "nodeId", String.valueOf(row.nodeId)));
      }
      if (row.revokedAt != null) return row.info(now);
      PreparedStatement update = db.statement("UPDATE join_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ?");
      update.setString(1, text(now));
      update.setString(2, caller.name());
      update.setString(3, id.value());
      update.executeUpdate();
      audit.append(caller.name(), "node.join-token.revoked", id.value(), Map.of("nodeName", row.nodeName == null ? "*" : row.nodeName));
      LOG.info("user {} revoked join token {}", caller.name(), id);
      return find(id).orElseThrow().info(now);
    });
  }

  @Override
  public <T> T enrol(NodeHello hello, NodeId node, Supplier<T> store) {
    return db.transact("enrol node " + node, () -> {
      Instant now = clock.instant();
      String secret = hello.joinToken().orElseThrow(() -> required(hello));
      if (!secret.startsWith(SECRET_PREFIX)) {
        throw new UnauthenticatedException(
            "JOIN_TOKEN_INVALID",
            "node '" + hello.name() + "' presented a join token that does not start with " + SECRET_PREFIX
                + " (an API token or a node token is not a join token); ask an administrator for one ('fedgrid node join-token create')");
      }
      PreparedStatement byHash = db.statement("SELECT " + COLUMNS + " FROM join_tokens WHERE token_hash = ?");
      byHash.setString(1, hash(secret));
      Row row = first(byHash, JoinTokens::row)
          .orElseThrow(() -> new UnauthenticatedException(
              "JOIN_TOKEN_INVALID",
              "node '" + hello.name() + "' presented a join token this gateway did not issue; check that it was copied whole and is for this"
                  + " gateway, or ask an administrator for a new one ('fedgrid node join-token create')"));
      check(row, hello.name(), now);
      T stored = store.get();
      PreparedStatement use = db.statement(
          "UPDATE join_tokens SET used_at = ?, node_id = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL");
      use.setString(1, text(now));
      use.setString(2, node.value());
      use.setString(3, row.id.value());
      if (use.executeUpdate() != 1) throw used(row.id, now); // cannot happen under the lock; kept as the guard of single use
      var details = new LinkedHashMap<String, String>();
      details.put("name", hello.name());
      details.put("joinToken", row.id.value());
      details.put("issuedBy", row.createdBy);
      audit.append("node:" + node.value(), "node.enrolled", node.value(), details);
      LOG.info("node {} ('{}') enrolled with join token {} issued by {}", node, hello.name(), row.id, row.createdBy);
      return stored;
    });
  }

  // ---- checks ----

  private static void check(Row row, String nodeName, Instant now) {
    if (row.usedAt != null) throw used(row.id, row.usedAt);
    if (row.revokedAt != null) {
      throw new UnauthenticatedException(
          "JOIN_TOKEN_REVOKED", "join token " + row.id + " was revoked at " + row.revokedAt + "; ask an administrator for a new one", Map.of("id", row.id.value()));
    }
    if (!now.isBefore(row.expiresAt)) {
      throw new UnauthenticatedException(
          "JOIN_TOKEN_EXPIRED",
          "join token " + row.id + " expired at " + row.expiresAt + "; ask an administrator for a new one ('fedgrid node join-token create --expires-in-hours N')",
          Map.of("id", row.id.value()));
    }
    if (row.nodeName != null && !row.nodeName.equals(nodeName)) {
      throw new PermissionDeniedException(
          "JOIN_TOKEN_NAME_MISMATCH",
          "join token " + row.id + " enrols only a node named '" + row.nodeName + "', not '" + nodeName + "'; start the node with --name "
              + row.nodeName + " or ask for a token for '" + nodeName + "'",
          Map.of("id", row.id.value(), "nodeName", row.nodeName));
    }
  }

  private static UnauthenticatedException used(JoinTokenId id, Instant at) {
    return new UnauthenticatedException(
        "JOIN_TOKEN_USED",
        "join token " + id + " was already used at " + at + " and enrols one node only; ask an administrator for a new one",
        Map.of("id", id.value()));
  }

  private static UnauthenticatedException required(NodeHello hello) {
    String who = hello.nodeId()
        .map(id -> "node '" + hello.name() + "' presented the saved identity " + id + ", which this gateway does not know, and no join token")
        .orElse("node '" + hello.name() + "' is new to this gateway and presented no join token");
    return new UnauthenticatedException(
        "JOIN_TOKEN_REQUIRED",
        who + "; a new node must enrol with a single-use join token: ask an administrator to run 'fedgrid node join-token create --name "
            + hello.name() + "', then start the node with --join-token (or FEDGRID_JOIN_TOKEN)");
  }

  static void checkNodeName(String name) {
    if (name.isBlank() || name.length() > MAX_NODE_NAME_LENGTH) {
      throw new InvalidRequestException("INVALID_JOIN_TOKEN", "a join token's node name must have 1 to " + MAX_NODE_NAME_LENGTH + " characters, not blank");
    }
    if (name.chars().anyMatch(Character::isISOControl)) {
      throw new InvalidRequestException("INVALID_JOIN_TOKEN", "a join token's node name must not contain control characters");
    }
  }

  // ---- storage ----

  private Optional<Row> find(JoinTokenId id) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + COLUMNS + " FROM join_tokens WHERE id = ?");
    s.setString(1, id.value());
    return first(s, JoinTokens::row);
  }

  private static Row row(ResultSet r) throws SQLException {
    String nodeId = r.getString(7);
    return new Row(
        JoinTokenId.of(r.getString(1)), r.getString(2), r.getString(3), instant(r.getString(4)), instant(r.getString(5)),
        instantOrNull(r.getString(6)), nodeId == null ? null : NodeId.of(nodeId), instantOrNull(r.getString(8)));
  }

  /** The lower-case hex SHA-256 of a secret. */
  static String hash(String secret) {
    return Secrets.sha256(secret);
  }

  private record Row(
      JoinTokenId id, String nodeName, String createdBy, Instant createdAt, Instant expiresAt, Instant usedAt, NodeId nodeId, Instant revokedAt) {
    JoinToken info(Instant now) {
      JoinTokenState state = usedAt != null ? JoinTokenState.USED
          : revokedAt != null ? JoinTokenState.REVOKED
          : !now.isBefore(expiresAt) ? JoinTokenState.EXPIRED
          : JoinTokenState.ACTIVE;
      return new JoinToken(id, nodeName, state, createdBy, createdAt, expiresAt, usedAt, nodeId, revokedAt);
    }
  }
}
