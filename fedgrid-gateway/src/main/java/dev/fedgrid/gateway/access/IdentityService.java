package dev.fedgrid.gateway.access;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.Ids;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.TokenId;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.UserId;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.gateway.access.IdentityStore.TokenRow;
import dev.fedgrid.gateway.access.IdentityStore.UserRow;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.state.SqlDatabase;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * People and their access: users, roles, personal API tokens, password login and the owner made on
 * a gateway's first start. The control API authenticates every call with {@link #authenticate};
 * the other methods serve the {@code /login}, {@code /me}, {@code /users}, {@code /roles} and
 * {@code /tokens} endpoints.
 *
 * <p><b>Secrets.</b> Passwords are stored as Argon2id hashes ({@link Passwords}); API tokens are
 * {@code fgt_} followed by the unpadded base64url of 32 {@link SecureRandom} bytes (256 bits, so a
 * fast hash suffices) and stored as their SHA-256 only. A token or generated password is returned
 * once, when made. Audit events never hold a secret or a hash.
 *
 * <p><b>Login throttling.</b> A failed login is recorded against the user name and against the
 * remote address. With {@value #MAX_FAILURES_PER_USER} failures for a name, or {@value
 * #MAX_FAILURES_PER_ADDRESS} from an address (many people may share one), in the last 15 minutes,
 * further logins for that name or from that address are refused with {@code LOGIN_RATE_LIMITED}
 * and the seconds until the oldest failure leaves the window, even with the right password. A
 * wrong password and an unknown user give the same answer, and an unknown user costs the same
 * Argon2id computation (against a dummy hash), so neither the text nor the timing tells whether a
 * name exists. A successful login clears the name's failures. Hashing runs outside the database
 * lock, so a burst of simultaneous attempts may pass the limit by the number in flight.
 *
 * <p><b>No escalation.</b> A caller can only hand out what they hold: creating or changing a role,
 * assigning a role, and changing, disabling or resetting the password of a user are refused unless
 * every permission of the roles involved is also the caller's. So an administrator (who cannot
 * triage requests) can neither appoint a compliance officer nor take over one's account; the owner
 * can do everything. Nobody can disable themselves or change their own role, so the last owner
 * cannot lock the gateway out by mistake.
 *
 * <p><b>Atomic with the audit ledger.</b> Every change appends its audit event ({@code user.*},
 * {@code role.*}, {@code token.*}, {@code login.*}) in the same transaction.
 *
 * <p>Thread-safe: every method runs in (or joins) a database transaction.
 */
public final class IdentityService {
  /** How long a login session token lives. */
  public static final Duration LOGIN_SESSION = Duration.ofHours(12);
  /** The default lifetime of an API token, in days. */
  public static final int DEFAULT_TOKEN_DAYS = 90;
  /** The longest lifetime of an API token, in days. */
  public static final int MAX_TOKEN_DAYS = 365;
  /** Failures for one user name within {@link #FAILURE_WINDOW} that lock it. */
  public static final int MAX_FAILURES_PER_USER = 5;
  /** Failures from one remote address within {@link #FAILURE_WINDOW} that lock it. */
  public static final int MAX_FAILURES_PER_ADDRESS = 20;
  /** How long a failed login counts. */
  public static final Duration FAILURE_WINDOW = Duration.ofMinutes(15);
  /** The name of the user made on first start. */
  public static final String OWNER = "owner";
  /** A token's last use is written at most this often. */
  static final Duration LAST_USED_RESOLUTION = Duration.ofMinutes(1);
  static final int MIN_PASSWORD_LENGTH = 12;
  static final int MAX_PASSWORD_LENGTH = 1024;
  static final String TOKEN_PREFIX = "fgt_";

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
  private static final String LOGIN_FAILED_MESSAGE = "wrong user name or password";
  /** The name of the API tokens that login issues (sessions). */
  static final String SESSION_TOKEN_NAME = "login";

  /** The roles every gateway has; they cannot be changed or deleted. */
  public static final List<Role> BUILTIN_ROLES = List.of(
      new Role("owner", "Runs the gateway: every permission", List.of(Permission.values()), true),
      new Role(
          "administrator",
          "Runs the platform (users, roles, nodes, settings, data) but does not decide what data leaves",
          List.of(Permission.MANAGE_USERS, Permission.EDIT_ROLES, Permission.MANAGE_INFRASTRUCTURE, Permission.EDIT_SETTINGS, Permission.UPLOAD_DATA),
          true),
      new Role("compliance-officer", "Decides what leaves: triages release and budget requests, sets privacy budgets",
          List.of(Permission.TRIAGE_REQUESTS, Permission.MANAGE_PRIVACY_BUDGET), true),
      new Role("data-scientist", "Submits jobs on datasets they may process and files requests", List.of(Permission.MAKE_DATA_REQUESTS), true),
      new Role("data-owner", "Registers datasets and grants others rights on them", List.of(Permission.UPLOAD_DATA), true));

  private final SqlDatabase db;
  private final IdentityStore store;
  private final AuditLog audit;
  private final InstantSource clock;
  private final Passwords passwords;
  private final String dummyHash;

  /**
   * Opens the identities in {@code db}, seeding the built-in roles when missing.
   *
   * @param passwords how passwords are hashed ({@link Passwords#owasp()} in production)
   */
  public IdentityService(SqlDatabase db, AuditLog audit, InstantSource clock, Passwords passwords) {
    this.db = Objects.requireNonNull(db, "db");
    this.store = new IdentityStore(db);
    this.audit = Objects.requireNonNull(audit, "audit");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.passwords = Objects.requireNonNull(passwords, "passwords");
    this.dummyHash = passwords.hash(generatePassword());
    db.transact("seed the built-in roles", () -> {
      for (Role role : BUILTIN_ROLES) {
        if (store.role(role.name()).isEmpty()) store.insertRole(role, clock.instant());
      }
      return null;
    });
  }

  /** With OWASP's Argon2id parameters. */
  public IdentityService(SqlDatabase db, AuditLog audit, InstantSource clock) {
    this(db, audit, clock, Passwords.owasp());
  }

  // ------------------------------------------------------------------ first start

  /**
   * Creates the user {@value #OWNER} (role owner) with a generated password and an API token named
   * {@code bootstrap} (90 days) when the gateway has no users yet.
   *
   * @return the credential, shown once, or empty when users already exist
   */
  public Optional<OwnerCredential> bootstrap() {
    String password = generatePassword();
    String hash = passwords.hash(password);
    String token = newTokenSecret();
    return db.transact("create the owner", () -> {
      if (store.userCount() > 0) return Optional.<OwnerCredential>empty();
      Instant now = clock.instant();
      UserRow owner = new UserRow(UserId.random(), OWNER, "owner", hash, false, now);
      store.insertUser(owner);
      audit.append("system", "user.created", OWNER, Map.of("role", "owner", "reason", "first start"));
      insertToken(owner, "bootstrap", token, now.plus(Duration.ofDays(DEFAULT_TOKEN_DAYS)), "system");
      return Optional.of(new OwnerCredential(OWNER, password, token));
    });
  }

  // ------------------------------------------------------------------ authentication

  /**
   * The caller holding {@code token}.
   *
   * @throws UnauthenticatedException {@code TOKEN_INVALID} (unknown), {@code TOKEN_EXPIRED},
   *     {@code TOKEN_REVOKED} or {@code USER_DISABLED}
   */
  public Principal authenticate(String token) {
    Objects.requireNonNull(token, "token");
    String hash = sha256(token);
    return db.transact("authenticate a token", () -> {
      TokenRow t = store.tokenByHash(hash).orElseThrow(() -> new UnauthenticatedException(
          "TOKEN_INVALID", "the token is not known to this gateway; log in again (`fedgrid login`) or create a new token"));
      Instant now = clock.instant();
      if (t.revoked()) {
        throw new UnauthenticatedException("TOKEN_REVOKED", "token " + t.id() + " (" + t.name() + ") was revoked; log in again or use another token",
            Map.of("tokenId", t.id().value()));
      }
      if (!now.isBefore(t.expiresAt())) {
        throw new UnauthenticatedException("TOKEN_EXPIRED", "token " + t.id() + " (" + t.name() + ") expired at " + t.expiresAt() + "; log in again or create a new token",
            Map.of("tokenId", t.id().value(), "expiresAt", t.expiresAt().toString()));
      }
      UserRow user = store.user(t.user()).orElseThrow(() -> SqlDatabase.corrupt("user of token " + t.id(), null));
      if (user.disabled()) {
        throw new UnauthenticatedException("USER_DISABLED", "user " + user.name() + " is disabled; ask an administrator to enable the account");
      }
      if (t.lastUsedAt() == null || !now.isBefore(t.lastUsedAt().plus(LAST_USED_RESOLUTION))) store.touchToken(t.id(), now);
      return principal(user);
    });
  }

  /**
   * Logs in with a password and issues a session token (an API token named {@code login}, valid
   * {@link #LOGIN_SESSION}).
   *
   * @param address the caller's remote address, for throttling
   * @throws UnauthenticatedException {@code LOGIN_FAILED} (the same for a wrong password and an
   *     unknown user), {@code LOGIN_RATE_LIMITED} (with {@code retryAfterSeconds}) or {@code
   *     USER_DISABLED}
   */
  public LoginResult login(String name, String password, String address) {
    String userName = name == null ? "" : name.strip();
    String pass = password == null ? "" : password;
    String userKey = "user:" + userName.toLowerCase(java.util.Locale.ROOT);
    String addressKey = "address:" + address;
    // 1. throttle and read the user
    record Attempt(Optional<UserRow> user, long retryAfterSeconds) {}
    Attempt attempt = db.transact("check a login", () -> {
      Instant now = clock.instant();
      Instant since = now.minus(FAILURE_WINDOW);
      long retry = Math.max(retryAfter(userKey, since, MAX_FAILURES_PER_USER, now), retryAfter(addressKey, since, MAX_FAILURES_PER_ADDRESS, now));
      return new Attempt(store.user(userName), retry);
    });
    if (attempt.retryAfterSeconds() > 0) {
      db.transact("record a throttled login", () -> {
        audit.append("anonymous", "login.failed", attempt.user().map(UserRow::name).orElse(""), Map.of("reason", "rate limited", "address", address));
        return null;
      });
      throw new UnauthenticatedException(
          "LOGIN_RATE_LIMITED",
          "too many failed logins for this user or from this address; try again in " + attempt.retryAfterSeconds() + " seconds",
          Map.of("retryAfterSeconds", attempt.retryAfterSeconds()));
    }
    // 2. the slow hash, outside the database lock; the same work whether the user exists or not
    boolean valid = passwords.verify(pass, attempt.user().map(UserRow::passwordHash).orElse(dummyHash)) && attempt.user().isPresent();
    // 3. record the outcome
    if (!valid) {
      db.transact("record a failed login", () -> {
        Instant now = clock.instant();
        store.pruneFailures(now.minus(FAILURE_WINDOW));
        store.addFailure(userKey, now);
        store.addFailure(addressKey, now);
        var details = new LinkedHashMap<String, String>();
        details.put("reason", attempt.user().isPresent() ? "wrong password" : "unknown user");
        details.put("address", address);
        audit.append("anonymous", "login.failed", attempt.user().map(UserRow::name).orElse(""), details);
        return null;
      });
      throw new UnauthenticatedException("LOGIN_FAILED", LOGIN_FAILED_MESSAGE);
    }
    UserRow user = attempt.user().get();
    if (user.disabled()) {
      db.transact("record a login of a disabled user", () -> {
        audit.append(user.name(), "login.failed", user.name(), Map.of("reason", "user disabled", "address", address));
        return null;
      });
      throw new UnauthenticatedException("USER_DISABLED", "user " + user.name() + " is disabled; ask an administrator to enable the account");
    }
    String rehash = passwords.needsRehash(user.passwordHash()) ? passwords.hash(pass) : null;
    String token = newTokenSecret();
    return db.transact("log in " + user.name(), () -> {
      Instant now = clock.instant();
      UserRow current = store.user(user.id()).orElseThrow(() -> new UnauthenticatedException("LOGIN_FAILED", LOGIN_FAILED_MESSAGE));
      if (rehash != null) store.updateUser(current.with(current.role(), current.disabled(), rehash));
      store.clearFailures(userKey);
      audit.append(user.name(), "login.succeeded", user.name(), Map.of("address", address));
      Instant expires = now.plus(LOGIN_SESSION);
      insertToken(current, SESSION_TOKEN_NAME, token, expires, user.name());
      return new LoginResult(token, expires, view(current));
    });
  }

  /** Seconds until {@code key} may try again, or 0 when it has fewer than {@code max} failures in the window. */
  private long retryAfter(String key, Instant since, int max, Instant now) throws SQLException {
    List<Instant> failures = store.failuresSince(key, since);
    if (failures.size() < max) return 0;
    Instant free = failures.get(failures.size() - max).plus(FAILURE_WINDOW);
    return Math.max(1, (Duration.between(now, free).toMillis() + 999) / 1000);
  }

  // ------------------------------------------------------------------ users

  /** The caller as a user, with their permissions. */
  public User me(Principal caller) {
    return db.transact("read user " + caller.name(), () -> view(store.user(caller.id()).orElseThrow(() -> userNotFound(caller.name()))));
  }

  /** Every user, by name. */
  public List<User> users(Principal caller) {
    caller.require(Permission.MANAGE_USERS, "list users");
    return db.transact("list users", () -> {
      var out = new ArrayList<User>();
      for (UserRow u : store.users()) out.add(view(u));
      return out;
    });
  }

  /**
   * One user; a caller may read themselves, and {@code can_manage_users} may read anyone.
   *
   * @throws NotFoundException {@code USER_NOT_FOUND}
   */
  public User user(Principal caller, String name) {
    if (!caller.name().equals(name)) caller.require(Permission.MANAGE_USERS, "read other users");
    return db.transact("read user " + name, () -> view(store.user(name).orElseThrow(() -> userNotFound(name))));
  }

  /**
   * Creates a user; when {@code password} is empty the gateway generates one and returns it once.
   *
   * @throws InvalidRequestException {@code INVALID_NAME}, {@code WEAK_PASSWORD} or {@code
   *     UNKNOWN_ROLE}
   * @throws ConflictException {@code USER_EXISTS}
   * @throws PermissionDeniedException when the role holds a permission the caller lacks
   */
  public NewUser createUser(Principal caller, String name, String role, Optional<String> password) {
    caller.require(Permission.MANAGE_USERS, "create users");
    checkName("user", name);
    password.ifPresent(IdentityService::checkPassword);
    String chosen = password.orElseGet(IdentityService::generatePassword);
    String hash = passwords.hash(chosen);
    return db.transact("create user " + name, () -> {
      Role r = knownRole(role);
      checkWithin(caller, r.permissionSet(), "give the role " + r.name());
      if (store.user(name).isPresent()) {
        throw new ConflictException("USER_EXISTS", "a user named " + name + " already exists; choose another name", Map.of("user", name));
      }
      UserRow row = new UserRow(UserId.random(), name, r.name(), hash, false, clock.instant());
      store.insertUser(row);
      audit.append(caller.name(), "user.created", name, Map.of("role", r.name()));
      return new NewUser(view(row), password.isPresent() ? null : chosen);
    });
  }

  /**
   * Changes a user's role, disabled flag or password. A user may change their own password by
   * giving the current one; everything else needs {@code can_manage_users} and a target whose
   * permissions the caller holds.
   *
   * @throws ConflictException {@code SELF_CHANGE} when callers disable themselves or change their
   *     own role
   * @throws PermissionDeniedException {@code CURRENT_PASSWORD_WRONG}, or {@code
   *     PERMISSION_DENIED}
   */
  public User updateUser(Principal caller, String name, Optional<String> role, Optional<Boolean> disabled, Optional<String> password, Optional<String> currentPassword) {
    boolean self = caller.name().equals(name);
    if (role.isEmpty() && disabled.isEmpty() && password.isEmpty()) {
      throw new InvalidRequestException("EMPTY_UPDATE", "nothing to change; give role, disabled or password", Map.of());
    }
    if (self && (role.isPresent() || disabled.isPresent())) {
      throw new ConflictException("SELF_CHANGE", "you cannot change your own role or disable yourself; ask another user with can_manage_users", Map.of("user", name));
    }
    boolean selfPassword = self && currentPassword.isPresent();
    if (!selfPassword) caller.require(Permission.MANAGE_USERS, self ? "change their password without giving the current one" : "change other users");
    password.ifPresent(IdentityService::checkPassword);
    UserRow target = db.transact("read user " + name, () -> store.user(name).orElseThrow(() -> userNotFound(name)));
    if (selfPassword && !passwords.verify(currentPassword.get(), target.passwordHash())) {
      throw new PermissionDeniedException("CURRENT_PASSWORD_WRONG", "the current password is wrong; the password was not changed", Map.of());
    }
    String hash = password.map(passwords::hash).orElse(null);
    return db.transact("update user " + name, () -> {
      UserRow current = store.user(name).orElseThrow(() -> userNotFound(name));
      if (!selfPassword) checkWithin(caller, knownRole(current.role()).permissionSet(), "change user " + name + " (role " + current.role() + ")");
      String newRole = current.role();
      if (role.isPresent()) {
        Role r = knownRole(role.get());
        checkWithin(caller, r.permissionSet(), "give the role " + r.name());
        newRole = r.name();
      }
      UserRow next = current.with(newRole, disabled.orElse(current.disabled()), hash == null ? current.passwordHash() : hash);
      store.updateUser(next);
      var details = new LinkedHashMap<String, String>();
      if (!next.role().equals(current.role())) details.put("role", current.role() + " -> " + next.role());
      if (next.disabled() != current.disabled()) details.put("disabled", Boolean.toString(next.disabled()));
      if (hash != null) {
        // A new password ends every login session of the user (whoever knew the old one is logged
        // out); personal API tokens stay, as they were issued deliberately and are revoked one by one.
        int ended = 0;
        for (IdentityStore.TokenRow t : store.tokens(current.id())) {
          if (!t.revoked() && t.name().equals(SESSION_TOKEN_NAME)) {
            store.revokeToken(t.id());
            ended++;
          }
        }
        details.put("password", "changed");
        details.put("sessionsEnded", Integer.toString(ended));
      }
      audit.append(caller.name(), "user.updated", name, details);
      return view(next);
    });
  }

  // ------------------------------------------------------------------ roles

  /** Every role: the built-in ones in the order of {@link #BUILTIN_ROLES}, then custom ones as created. */
  public List<Role> roles() {
    List<String> builtins = BUILTIN_ROLES.stream().map(Role::name).toList();
    return db.transact("list roles", store::roles).stream()
        .sorted(java.util.Comparator.comparingInt(r -> r.builtin() && builtins.contains(r.name()) ? builtins.indexOf(r.name()) : builtins.size()))
        .toList();
  }

  /**
   * Creates a custom role.
   *
   * @throws ConflictException {@code ROLE_EXISTS}
   */
  public Role createRole(Principal caller, String name, String description, List<Permission> permissions) {
    caller.require(Permission.EDIT_ROLES, "create roles");
    checkName("role", name);
    Role role = new Role(name, description == null ? "" : description.strip(), permissions, false);
    checkWithin(caller, role.permissionSet(), "create a role with " + wire(role.permissionSet()));
    return db.transact("create role " + name, () -> {
      if (store.role(name).isPresent()) throw new ConflictException("ROLE_EXISTS", "a role named " + name + " already exists", Map.of("role", name));
      store.insertRole(role, clock.instant());
      audit.append(caller.name(), "role.created", name, Map.of("permissions", wire(role.permissionSet())));
      return role;
    });
  }

  /**
   * Replaces a custom role's description and permissions; its users get the new permissions on
   * their next call.
   *
   * @throws ConflictException {@code ROLE_BUILTIN}
   * @throws NotFoundException {@code ROLE_NOT_FOUND}
   */
  public Role updateRole(Principal caller, String name, String description, List<Permission> permissions) {
    caller.require(Permission.EDIT_ROLES, "change roles");
    Role next = new Role(name, description == null ? "" : description.strip(), permissions, false);
    return db.transact("update role " + name, () -> {
      Role current = store.role(name).orElseThrow(() -> roleNotFound(name));
      if (current.builtin()) throw builtin(name, "changed");
      checkWithin(caller, current.permissionSet(), "change the role " + name);
      checkWithin(caller, next.permissionSet(), "give the role " + name + " " + wire(next.permissionSet()));
      store.updateRole(next);
      audit.append(caller.name(), "role.updated", name, Map.of("permissions", wire(next.permissionSet()), "before", wire(current.permissionSet())));
      return next;
    });
  }

  /**
   * Deletes a custom role that no user has.
   *
   * @throws ConflictException {@code ROLE_BUILTIN} or {@code ROLE_IN_USE}
   */
  public void deleteRole(Principal caller, String name) {
    caller.require(Permission.EDIT_ROLES, "delete roles");
    db.transact("delete role " + name, () -> {
      Role current = store.role(name).orElseThrow(() -> roleNotFound(name));
      if (current.builtin()) throw builtin(name, "deleted");
      checkWithin(caller, current.permissionSet(), "delete the role " + name);
      long users = store.usersWithRole(name);
      if (users > 0) {
        throw new ConflictException("ROLE_IN_USE", "role " + name + " is held by " + users + " user(s); give them another role first",
            Map.of("role", name, "users", users));
      }
      store.deleteRole(name);
      audit.append(caller.name(), "role.deleted", name, Map.of("permissions", wire(current.permissionSet())));
      return null;
    });
  }

  // ------------------------------------------------------------------ tokens

  /** The caller's own tokens, oldest first, revoked and expired ones included. */
  public List<TokenInfo> tokens(Principal caller) {
    return db.transact("list tokens", () -> store.tokens(caller.id()).stream().map(TokenRow::info).toList());
  }

  /**
   * Issues an API token to the caller.
   *
   * @param expiresInDays the lifetime in days, 1 to {@value #MAX_TOKEN_DAYS}
   * @throws InvalidRequestException {@code INVALID_NAME} or {@code INVALID_EXPIRY}
   */
  public IssuedToken createToken(Principal caller, String name, int expiresInDays) {
    if (name == null || name.isBlank() || name.length() > 64) {
      throw new InvalidRequestException("INVALID_NAME", "a token needs a name of 1 to 64 characters saying what it is for, such as 'ci'", Map.of("field", "name"));
    }
    if (expiresInDays < 1 || expiresInDays > MAX_TOKEN_DAYS) {
      throw new InvalidRequestException("INVALID_EXPIRY", "expiresInDays must be in [1, " + MAX_TOKEN_DAYS + "], got " + expiresInDays, Map.of("field", "expiresInDays"));
    }
    String secret = newTokenSecret();
    return db.transact("create a token for " + caller.name(), () -> {
      UserRow user = store.user(caller.id()).orElseThrow(() -> userNotFound(caller.name()));
      TokenRow row = insertToken(user, name.strip(), secret, clock.instant().plus(Duration.ofDays(expiresInDays)), caller.name());
      return new IssuedToken(secret, row.info());
    });
  }

  /**
   * Revokes one of the caller's tokens (a user with {@code can_manage_users} may revoke anyone's).
   * Revoking a revoked token changes nothing.
   *
   * @throws NotFoundException {@code TOKEN_NOT_FOUND}, also for another user's token
   */
  public TokenInfo revokeToken(Principal caller, TokenId id) {
    return db.transact("revoke token " + id, () -> {
      TokenRow t = store.token(id).filter(r -> r.user().equals(caller.id()) || caller.has(Permission.MANAGE_USERS))
          .orElseThrow(() -> new NotFoundException("TOKEN_NOT_FOUND", "you have no token " + id + "; list yours with `fedgrid token list`", Map.of("tokenId", id.value())));
      if (t.revoked()) return t.info();
      store.revokeToken(id);
      String owner = store.user(t.user()).map(UserRow::name).orElse("");
      audit.append(caller.name(), "token.revoked", id.value(), Map.of("name", t.name(), "user", owner));
      return new TokenRow(t.id(), t.user(), t.name(), t.hash(), t.createdAt(), t.expiresAt(), t.lastUsedAt(), true).info();
    });
  }

  // ------------------------------------------------------------------ helpers

  private TokenRow insertToken(UserRow user, String name, String secret, Instant expiresAt, String actor) throws SQLException {
    TokenRow row = new TokenRow(TokenId.of(Ids.next(TokenId.PREFIX)), user.id(), name, sha256(secret), clock.instant(), expiresAt, null, false);
    store.insertToken(row);
    audit.append(actor, "token.created", row.id().value(), Map.of("name", name, "user", user.name(), "expiresAt", expiresAt.toString()));
    return row;
  }

  private Principal principal(UserRow user) throws SQLException {
    return new Principal(user.id(), user.name(), user.role(), knownRole(user.role()).permissionSet());
  }

  private User view(UserRow user) throws SQLException {
    return new User(user.id(), user.name(), user.role(), knownRole(user.role()).permissions(), user.disabled(), user.createdAt());
  }

  private Role knownRole(String name) throws SQLException {
    return store.role(name).orElseThrow(() -> new InvalidRequestException(
        "UNKNOWN_ROLE", "there is no role " + name + "; the roles are listed by `fedgrid role list`", Map.of("role", String.valueOf(name))));
  }

  /** Refuses when {@code permissions} holds one the caller lacks (see "No escalation"). */
  private static void checkWithin(Principal caller, Set<Permission> permissions, String action) {
    EnumSet<Permission> missing = permissions.isEmpty() ? EnumSet.noneOf(Permission.class) : EnumSet.copyOf(permissions);
    missing.removeAll(caller.permissions());
    if (missing.isEmpty()) return;
    throw new PermissionDeniedException(
        "PERMISSION_DENIED",
        "user " + caller.name() + " (role " + caller.role() + ") may not " + action + ": that hands out " + wire(missing)
            + ", which the role " + caller.role() + " does not have; only a user holding them may",
        Map.of("missing", missing.stream().map(Permission::wireName).toList(), "role", caller.role()));
  }

  private static void checkName(String what, String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new InvalidRequestException(
          "INVALID_NAME",
          "'" + (name == null ? "" : name.length() > 64 ? name.substring(0, 64) + "…" : name) + "' is not a valid " + what
              + " name: use 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit",
          Map.of("field", "name"));
    }
  }

  private static void checkPassword(String password) {
    if (password.length() < MIN_PASSWORD_LENGTH || password.length() > MAX_PASSWORD_LENGTH) {
      throw new InvalidRequestException(
          "WEAK_PASSWORD",
          "a password needs " + MIN_PASSWORD_LENGTH + " to " + MAX_PASSWORD_LENGTH + " characters (a passphrase of several words is easiest); leave it out to have one generated",
          Map.of("field", "password", "minLength", MIN_PASSWORD_LENGTH));
    }
  }

  private static String wire(Set<Permission> permissions) {
    return String.join(",", permissions.stream().sorted().map(Permission::wireName).toList());
  }

  private static NotFoundException userNotFound(String name) {
    return new NotFoundException("USER_NOT_FOUND", "there is no user " + name + "; list users with `fedgrid user list`", Map.of("user", String.valueOf(name)));
  }

  private static NotFoundException roleNotFound(String name) {
    return new NotFoundException("ROLE_NOT_FOUND", "there is no role " + name + "; list roles with `fedgrid role list`", Map.of("role", String.valueOf(name)));
  }

  private static ConflictException builtin(String name, String what) {
    return new ConflictException("ROLE_BUILTIN", "role " + name + " is built in and cannot be " + what + "; create a custom role instead", Map.of("role", name));
  }

  /** 24 characters of base64url from 18 random bytes (144 bits). */
  static String generatePassword() {
    return Secrets.random("", 18);
  }

  static String newTokenSecret() {
    return Secrets.random(TOKEN_PREFIX, 32);
  }

  static String sha256(String token) {
    return Secrets.sha256(token);
  }
}
