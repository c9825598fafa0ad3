package dev.fedgrid.gateway.access;

import static dev.fedgrid.gateway.state.SqlDatabase.all;
import static dev.fedgrid.gateway.state.SqlDatabase.first;
import static dev.fedgrid.gateway.state.SqlDatabase.instant;
import static dev.fedgrid.gateway.state.SqlDatabase.instantOrNull;
import static dev.fedgrid.gateway.state.SqlDatabase.text;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.fedgrid.api.TokenId;
import dev.fedgrid.api.UserId;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.gateway.json.Json;
import dev.fedgrid.gateway.state.SqlDatabase;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The rows of users, roles, API tokens and failed logins (schema V3__identity.sql). Every method
 * must run inside {@link SqlDatabase#transact}; {@link IdentityService} holds the rules.
 *
 * <p>Thread-safe through the database's transaction lock.
 */
final class IdentityStore {
  private static final TypeReference<List<Permission>> PERMISSIONS = new TypeReference<>() {};
  private static final String USER_COLUMNS = "id, name, role, password_hash, disabled, created_at";
  private static final String TOKEN_COLUMNS = "id, user_id, name, token_hash, created_at, expires_at, last_used_at, revoked";

  /** A user's stored row, password hash included: never sent to a client. */
  record UserRow(UserId id, String name, String role, String passwordHash, boolean disabled, Instant createdAt) {
    UserRow with(String role, boolean disabled, String passwordHash) {
      return new UserRow(id, name, role, passwordHash, disabled, createdAt);
    }
  }

  /** A token's stored row: the SHA-256 of the secret, never the secret. */
  record TokenRow(TokenId id, UserId user, String name, String hash, Instant createdAt, Instant expiresAt, Instant lastUsedAt, boolean revoked) {
    TokenInfo info() {
      return new TokenInfo(id, name, createdAt, expiresAt, lastUsedAt, revoked);
    }
  }

  private final SqlDatabase db;

  IdentityStore(SqlDatabase db) {
    this.db = db;
  }

  // ---- roles ----

  Optional<Role> role(String name) throws SQLException {
    PreparedStatement s = db.statement("SELECT name, description, permissions, builtin FROM roles WHERE name = ?");
    s.setString(1, name);
    return first(s, IdentityStore::roleRow);
  }

  List<Role> roles() throws SQLException {
    return all(db.statement("SELECT name, description, permissions, builtin FROM roles ORDER BY builtin DESC, created_at, name"), IdentityStore::roleRow);
  }

  void insertRole(Role role, Instant now) throws SQLException {
    PreparedStatement s = db.statement("INSERT INTO roles (name, description, permissions, builtin, created_at) VALUES (?, ?, ?, ?, ?)");
    s.setString(1, role.name());
    s.setString(2, role.description());
    s.setString(3, SqlDatabase.json(role.permissions()));
    s.setBoolean(4, role.builtin());
    s.setString(5, text(now));
    s.executeUpdate();
  }

  void updateRole(Role role) throws SQLException {
    PreparedStatement s = db.statement("UPDATE roles SET description = ?, permissions = ? WHERE name = ?");
    s.setString(1, role.description());
    s.setString(2, SqlDatabase.json(role.permissions()));
    s.setString(3, role.name());
    s.executeUpdate();
  }

  void deleteRole(String name) throws SQLException {
    PreparedStatement s = db.statement("DELETE FROM roles WHERE name = ?");
    s.setString(1, name);
    s.executeUpdate();
  }

  long usersWithRole(String role) throws SQLException {
    PreparedStatement s = db.statement("SELECT COUNT(*) FROM users WHERE role = ?");
    s.setString(1, role);
    return first(s, r -> r.getLong(1)).orElse(0L);
  }

  // ---- users ----

  Optional<UserRow> user(String name) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + USER_COLUMNS + " FROM users WHERE name = ?");
    s.setString(1, name);
    return first(s, IdentityStore::userRow);
  }

  Optional<UserRow> user(UserId id) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + USER_COLUMNS + " FROM users WHERE id = ?");
    s.setString(1, id.value());
    return first(s, IdentityStore::userRow);
  }

  List<UserRow> users() throws SQLException {
    return all(db.statement("SELECT " + USER_COLUMNS + " FROM users ORDER BY name"), IdentityStore::userRow);
  }

  long userCount() throws SQLException {
    return first(db.statement("SELECT COUNT(*) FROM users"), r -> r.getLong(1)).orElse(0L);
  }

  void insertUser(UserRow u) throws SQLException {
    PreparedStatement s = db.statement("INSERT INTO users (" + USER_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?)");
    s.setString(1, u.id().value());
    s.setString(2, u.name());
    s.setString(3, u.role());
    s.setString(4, u.passwordHash());
    s.setBoolean(5, u.disabled());
    s.setString(6, text(u.createdAt()));
    s.executeUpdate();
  }

  void updateUser(UserRow u) throws SQLException {
    PreparedStatement s = db.statement("UPDATE users SET role = ?, password_hash = ?, disabled = ? WHERE id = ?");
    s.setString(1, u.role());
    s.setString(2, u.passwordHash());
    s.setBoolean(3, u.disabled());
    s.setString(4, u.id().value());
    s.executeUpdate();
  }

  // ---- tokens ----

  void insertToken(TokenRow t) throws SQLException {
    PreparedStatement s = db.statement("INSERT INTO api_tokens (" + TOKEN_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    s.setString(1, t.id().value());
    s.setString(2, t.user().value());
    s.setString(3, t.name());
    s.setString(4, t.hash());
    s.setString(5, text(t.createdAt()));
    s.setString(6, text(t.expiresAt()));
    SqlDatabase.setNullable(s, 7, t.lastUsedAt() == null ? null : text(t.lastUsedAt()));
    s.setBoolean(8, t.revoked());
    s.executeUpdate();
  }

  Optional<TokenRow> tokenByHash(String hash) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + TOKEN_COLUMNS + " FROM api_tokens WHERE token_hash = ?");
    s.setString(1, hash);
    return first(s, IdentityStore::tokenRow);
  }

  Optional<TokenRow> token(TokenId id) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + TOKEN_COLUMNS + " FROM api_tokens WHERE id = ?");
    s.setString(1, id.value());
    return first(s, IdentityStore::tokenRow);
  }

  List<TokenRow> tokens(UserId user) throws SQLException {
    PreparedStatement s = db.statement("SELECT " + TOKEN_COLUMNS + " FROM api_tokens WHERE user_id = ? ORDER BY id");
    s.setString(1, user.value());
    return all(s, IdentityStore::tokenRow);
  }

  void revokeToken(TokenId id) throws SQLException {
    PreparedStatement s = db.statement("UPDATE api_tokens SET revoked = ? WHERE id = ?");
    s.setBoolean(1, true);
    s.setString(2, id.value());
    s.executeUpdate();
  }

  void touchToken(TokenId id, Instant at) throws SQLException {
    PreparedStatement s = db.statement("UPDATE api_tokens SET last_used_at = ? WHERE id = ?");
    s.setString(1, text(at));
    s.setString(2, id.value());
    s.executeUpdate();
  }

  // ---- failed logins ----

  void addFailure(String key, Instant at) throws SQLException {
    PreparedStatement s = db.statement("INSERT INTO login_failures (throttle_key, at) VALUES (?, ?)");
    s.setString(1, key);
    s.setString(2, text(at));
    s.executeUpdate();
  }

  /** The times of {@code key}'s failures at or after {@code since}, oldest first. */
  List<Instant> failuresSince(String key, Instant since) throws SQLException {
    PreparedStatement s = db.statement("SELECT at FROM login_failures WHERE throttle_key = ? AND at >= ? ORDER BY at");
    s.setString(1, key);
    s.setString(2, text(since));
    return all(s, r -> instant(r.getString(1)));
  }

  void clearFailures(String key) throws SQLException {
    PreparedStatement s = db.statement("DELETE FROM login_failures WHERE throttle_key = ?");
    s.setString(1, key);
    s.executeUpdate();
  }

  void pruneFailures(Instant before) throws SQLException {
    PreparedStatement s = db.statement("DELETE FROM login_failures WHERE at < ?");
    s.setString(1, text(before));
    s.executeUpdate();
  }

  // ---- rows ----

  private static Role roleRow(ResultSet r) throws SQLException {
    List<Permission> permissions;
    try {
      permissions = Json.mapper().readValue(r.getString(3), PERMISSIONS);
    } catch (JacksonException | RuntimeException e) {
      throw SqlDatabase.corrupt("permissions of role " + r.getString(1), e);
    }
    return new Role(r.getString(1), r.getString(2), permissions, r.getBoolean(4));
  }

  private static UserRow userRow(ResultSet r) throws SQLException {
    return new UserRow(UserId.of(r.getString(1)), r.getString(2), r.getString(3), r.getString(4), r.getBoolean(5), instant(r.getString(6)));
  }

  private static TokenRow tokenRow(ResultSet r) throws SQLException {
    return new TokenRow(
        TokenId.of(r.getString(1)), UserId.of(r.getString(2)), r.getString(3), r.getString(4), instant(r.getString(5)), instant(r.getString(6)),
        instantOrNull(r.getString(7)), r.getBoolean(8));
  }
}
