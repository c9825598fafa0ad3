package dev.fedgrid.gateway.access;

import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.state.SqlDatabase;
import java.nio.file.Path;
import java.time.InstantSource;

/**
 * A real {@link IdentityService} on an SQLite file, with the owner bootstrapped, for tests that
 * need tokens. Passwords use cheap Argon2id parameters (64 KiB, one pass) so that tests that make
 * many users stay fast; {@link IdentityServiceTest} checks the production parameters.
 */
public final class TestIdentity implements AutoCloseable {
  /** Argon2id parameters cheap enough for tests. */
  public static final Passwords FAST = new Passwords(64, 1, 1);

  public final SqlDatabase db;
  public final AuditLog audit;
  public final IdentityService identity;
  public final OwnerCredential owner;

  private TestIdentity(SqlDatabase db, InstantSource clock) {
    this.db = db;
    this.audit = new AuditLog(db, clock);
    this.identity = new IdentityService(db, audit, clock, FAST);
    this.owner = identity.bootstrap().orElseThrow();
  }

  /** A fresh database {@code gateway.db} in {@code dir}. */
  public static TestIdentity open(Path dir) {
    return new TestIdentity(SqlDatabase.sqlite(dir.resolve("gateway.db")), InstantSource.system());
  }

  /** On an existing database (sharing it with a state store). */
  public static TestIdentity on(SqlDatabase db, InstantSource clock) {
    return new TestIdentity(db, clock);
  }

  /** The owner as a principal. */
  public Principal ownerPrincipal() {
    return identity.authenticate(owner.token());
  }

  /** Creates a user with {@code role} and returns an API token of theirs. */
  public String tokenFor(String name, String role) {
    identity.createUser(ownerPrincipal(), name, role, java.util.Optional.of("correct horse battery staple"));
    return identity.login(name, "correct horse battery staple", "127.0.0.1").token();
  }

  @Override
  public void close() {
    db.close();
  }
}
