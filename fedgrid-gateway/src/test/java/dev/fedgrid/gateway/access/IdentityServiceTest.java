package dev.fedgrid.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.governance.AuditEvent;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.audit.AuditQuery;
import dev.fedgrid.gateway.state.SqlDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The identity service on a real SQLite file, with a clock the test moves. */
class IdentityServiceTest {
  private static final String PASSWORD = "correct horse battery staple";

  @TempDir Path dir;
  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-02T10:00:00Z"));
  private final InstantSource clock = () -> now.get();
  private SqlDatabase db;
  private AuditLog audit;
  private IdentityService identity;
  private Principal owner;

  @BeforeEach
  void open() {
    db = SqlDatabase.sqlite(dir.resolve("gateway.db"));
    audit = new AuditLog(db, clock);
    identity = new IdentityService(db, audit, clock, TestIdentity.FAST);
    owner = identity.authenticate(identity.bootstrap().orElseThrow().token());
  }

  @AfterEach
  void close() {
    db.close();
  }

  // ---- passwords ----

  @Test
  void argon2idWithOwaspParametersVerifiesAndEncodesItsParameters() {
    Passwords owasp = Passwords.owasp();
    String hash = owasp.hash(PASSWORD);
    assertThat(hash).startsWith("$argon2id$v=19$m=19456,t=2,p=1$");
    assertThat(owasp.verify(PASSWORD, hash)).isTrue();
    assertThat(owasp.verify(PASSWORD + "!", hash)).isFalse();
    assertThat(owasp.hash(PASSWORD)).as("a fresh salt every time").isNotEqualTo(hash);
    // a hash made with other parameters still verifies, and is marked for rehashing
    assertThat(TestIdentity.FAST.verify(PASSWORD, hash)).isTrue();
    assertThat(TestIdentity.FAST.needsRehash(hash)).isTrue();
    assertThat(owasp.verify(PASSWORD, "$argon2id$v=19$m=19456,t=2,p=1$bad$bad")).isFalse();
  }

  @Test
  void theEncodingHoldsASixteenByteSaltAndAThirtyTwoByteHash() {
    String hash = TestIdentity.FAST.hash("pw-pw-pw-pw-pw");
    String[] parts = hash.split("\\$");
    assertThat(parts).hasSize(6);
    assertThat(java.util.Base64.getDecoder().decode(parts[4])).hasSize(16);
    assertThat(java.util.Base64.getDecoder().decode(parts[5])).hasSize(32);
  }

  // ---- bootstrap ----

  @Test
  void theOwnerIsCreatedOnceWithEveryPermission() {
    assertThat(identity.bootstrap()).isEmpty();
    var reopened = new IdentityService(db, audit, clock, TestIdentity.FAST);
    assertThat(reopened.bootstrap()).isEmpty();
    assertThat(owner.name()).isEqualTo("owner");
    assertThat(owner.permissions()).containsExactlyInAnyOrder(Permission.values());
    assertThat(identity.users(owner)).extracting(User::name).containsExactly("owner");
    assertThat(identity.tokens(owner)).singleElement().satisfies(t -> {
      assertThat(t.name()).isEqualTo("bootstrap");
      assertThat(t.expiresAt()).isEqualTo(now.get().plus(Duration.ofDays(90)));
    });
    assertThat(events()).extracting(AuditEvent::action).containsExactly("user.created", "token.created");
  }

  @Test
  void theSeededRolesAreBuiltIn() {
    assertThat(identity.roles()).extracting(Role::name)
        .containsExactly("owner", "administrator", "compliance-officer", "data-scientist", "data-owner");
    Role admin = identity.roles().get(1);
    assertThat(admin.permissions()).doesNotContain(Permission.TRIAGE_REQUESTS, Permission.MANAGE_PRIVACY_BUDGET).contains(Permission.MANAGE_USERS);
    assertThat(identity.roles()).allMatch(Role::builtin);
  }

  // ---- login ----

  @Test
  void loginIssuesATwelveHourSessionAndWrongPasswordsAndUnknownUsersLookTheSame() {
    identity.createUser(owner, "ana", "data-scientist", Optional.of(PASSWORD));
    LoginResult login = identity.login("ana", PASSWORD, "10.0.0.1");
    assertThat(login.token()).startsWith("fgt_").hasSize(4 + 43);
    assertThat(login.expiresAt()).isEqualTo(now.get().plus(Duration.ofHours(12)));
    assertThat(login.user().permissions()).containsExactly(Permission.MAKE_DATA_REQUESTS);
    assertThat(identity.authenticate(login.token()).name()).isEqualTo("ana");
    assertThat(login.toString()).doesNotContain(login.token());

    FedGridException wrong = catchFailure(() -> identity.login("ana", "not the password", "10.0.0.1"));
    FedGridException unknown = catchFailure(() -> identity.login("nobody", "not the password", "10.0.0.1"));
    assertThat(wrong.code()).isEqualTo("LOGIN_FAILED").isEqualTo(unknown.code());
    assertThat(wrong.getMessage()).isEqualTo(unknown.getMessage());
    assertThat(wrong.details()).isEqualTo(unknown.details()).isEmpty();
    List<AuditEvent> failed = audit.events(new AuditQuery(0, Optional.empty(), Optional.of("login.failed"), Optional.empty(), Optional.empty(), Optional.empty(), 10));
    assertThat(failed).hasSize(2);
    assertThat(failed.get(1).target()).as("an unknown name is not written to the ledger (it may be a mistyped password)").isEmpty();
    assertThat(failed).allSatisfy(e -> assertThat(e.details().toString()).doesNotContain("not the password"));
  }

  @Test
  void fiveFailuresLockANameForFifteenMinutesEvenWithTheRightPassword() {
    identity.createUser(owner, "ana", "data-scientist", Optional.of(PASSWORD));
    for (int i = 0; i < 5; i++) {
      now.set(now.get().plusSeconds(60));
      String address = "10.0.0." + i;
      assertThat(catchFailure(() -> identity.login("ana", "wrong password", address)).code()).isEqualTo("LOGIN_FAILED");
    }
    FedGridException locked = catchFailure(() -> identity.login("ana", PASSWORD, "10.0.0.9"));
    assertThat(locked.code()).isEqualTo("LOGIN_RATE_LIMITED");
    // the oldest failure was at +60 s; now is +300 s; it leaves the window at +60 s + 15 min
    assertThat(locked.details().get("retryAfterSeconds")).isEqualTo(660L);
    now.set(now.get().plusSeconds(661));
    assertThat(identity.login("ana", PASSWORD, "10.0.0.9").user().name()).isEqualTo("ana");
    // success cleared the name's failures
    assertThat(catchFailure(() -> identity.login("ana", "wrong password", "10.0.0.9")).code()).isEqualTo("LOGIN_FAILED");
  }

  @Test
  void manyFailuresFromOneAddressLockThatAddress() {
    for (int i = 0; i < IdentityService.MAX_FAILURES_PER_ADDRESS; i++) {
      String name = "guess" + i;
      catchFailure(() -> identity.login(name, "wrong password", "10.9.9.9"));
    }
    assertThat(catchFailure(() -> identity.login("owner", "anything", "10.9.9.9")).code()).isEqualTo("LOGIN_RATE_LIMITED");
    assertThat(catchFailure(() -> identity.login("owner", "anything", "10.1.1.1")).code()).isEqualTo("LOGIN_FAILED");
  }

  @Test
  void aDisabledUserCannotLogInAndTheirTokensStopWorking() {
    identity.createUser(owner, "ana", "data-scientist", Optional.of(PASSWORD));
    String token = identity.login("ana", PASSWORD, "10.0.0.1").token();
    identity.updateUser(owner, "ana", Optional.empty(), Optional.of(true), Optional.empty(), Optional.empty());
    assertThat(catchFailure(() -> identity.authenticate(token)).code()).isEqualTo("USER_DISABLED");
    assertThat(catchFailure(() -> identity.login("ana", PASSWORD, "10.0.0.1")).code()).isEqualTo("USER_DISABLED");
    identity.updateUser(owner, "ana", Optional.empty(), Optional.of(false), Optional.empty(), Optional.empty());
    assertThat(identity.authenticate(token).name()).isEqualTo("ana");
  }

  // ---- tokens ----

  @Test
  void tokensExpireCanBeRevokedAndAreStoredHashed() throws Exception {
    IssuedToken issued = identity.createToken(owner, "ci", 1);
    assertThat(issued.token()).startsWith("fgt_");
    assertThat(issued.info().id().value()).startsWith("tok_");
    assertThat(issued.toString()).doesNotContain(issued.token());
    assertThat(identity.authenticate(issued.token()).name()).isEqualTo("owner");
    String stored = db.transact("read", () -> SqlDatabase.first(db.statement("SELECT token_hash FROM api_tokens WHERE id = '" + issued.info().id() + "'"), r -> r.getString(1)))
        .orElseThrow();
    assertThat(stored).hasSize(64).isEqualTo(IdentityService.sha256(issued.token())).doesNotContain(issued.token().substring(4));

    now.set(now.get().plus(Duration.ofDays(1)));
    assertThat(catchFailure(() -> identity.authenticate(issued.token())).code()).isEqualTo("TOKEN_EXPIRED");

    IssuedToken other = identity.createToken(owner, "laptop", 90);
    identity.revokeToken(owner, other.info().id());
    assertThat(catchFailure(() -> identity.authenticate(other.token())).code()).isEqualTo("TOKEN_REVOKED");
    assertThat(catchFailure(() -> identity.authenticate("fgt_nope")).code()).isEqualTo("TOKEN_INVALID");
    assertThat(identity.tokens(owner)).extracting(TokenInfo::name).containsExactly("bootstrap", "ci", "laptop");
    assertThatThrownBy(() -> identity.createToken(owner, "x", 366)).isInstanceOf(InvalidRequestException.class).hasMessageContaining("365");
    assertThatThrownBy(() -> identity.createToken(owner, "x", 0)).isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void lastUsedIsWrittenAtMostOnceAMinute() {
    IssuedToken issued = identity.createToken(owner, "ci", 30);
    identity.authenticate(issued.token());
    Instant first = now.get();
    now.set(first.plusSeconds(30));
    identity.authenticate(issued.token());
    assertThat(info(issued).lastUsedAt()).isEqualTo(first);
    now.set(first.plusSeconds(61));
    identity.authenticate(issued.token());
    assertThat(info(issued).lastUsedAt()).isEqualTo(first.plusSeconds(61));
  }

  @Test
  void usersCanOnlyRevokeTheirOwnTokens() {
    identity.createUser(owner, "ana", "data-scientist", Optional.of(PASSWORD));
    Principal ana = identity.authenticate(identity.login("ana", PASSWORD, "10.0.0.1").token());
    IssuedToken owners = identity.createToken(owner, "ci", 30);
    assertThatThrownBy(() -> identity.revokeToken(ana, owners.info().id())).isInstanceOf(NotFoundException.class);
    assertThat(identity.authenticate(owners.token()).name()).isEqualTo("owner");
  }

  // ---- users and roles ----

  @Test
  void usersAreCreatedWithAGeneratedPasswordShownOnce() {
    NewUser created = identity.createUser(owner, "bo", "data-owner", Optional.empty());
    assertThat(created.password()).hasSizeGreaterThanOrEqualTo(20);
    assertThat(created.toString()).doesNotContain(created.password());
    assertThat(identity.login("bo", created.password(), "10.0.0.1").user().role()).isEqualTo("data-owner");
    assertThatThrownBy(() -> identity.createUser(owner, "bo", "data-owner", Optional.empty())).isInstanceOf(ConflictException.class)
        .hasMessageContaining("already exists");
    assertThatThrownBy(() -> identity.createUser(owner, "Bo Bo", "data-owner", Optional.empty())).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> identity.createUser(owner, "cy", "no-such-role", Optional.empty())).isInstanceOf(InvalidRequestException.class)
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("UNKNOWN_ROLE");
    assertThatThrownBy(() -> identity.createUser(owner, "cy", "data-owner", Optional.of("short"))).isInstanceOf(InvalidRequestException.class)
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("WEAK_PASSWORD");
  }

  @Test
  void nobodyHandsOutPermissionsTheyDoNotHold() {
    identity.createUser(owner, "adam", "administrator", Optional.of(PASSWORD));
    identity.createUser(owner, "cora", "compliance-officer", Optional.of(PASSWORD));
    Principal admin = identity.authenticate(identity.login("adam", PASSWORD, "10.0.0.1").token());
    assertThat(identity.createUser(admin, "dora", "data-owner", Optional.empty()).user().role()).isEqualTo("data-owner");
    assertThatThrownBy(() -> identity.createUser(admin, "eve", "compliance-officer", Optional.empty())).isInstanceOf(PermissionDeniedException.class)
        .hasMessageContaining("can_triage_requests");
    assertThatThrownBy(() -> identity.updateUser(admin, "cora", Optional.empty(), Optional.empty(), Optional.of("a new password!"), Optional.empty()))
        .isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> identity.updateUser(admin, "dora", Optional.of("owner"), Optional.empty(), Optional.empty(), Optional.empty()))
        .isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> identity.createRole(admin, "auditor", "", List.of(Permission.TRIAGE_REQUESTS))).isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> identity.updateUser(admin, "adam", Optional.of("data-owner"), Optional.empty(), Optional.empty(), Optional.empty()))
        .isInstanceOf(ConflictException.class).extracting(e -> ((FedGridException) e).code()).isEqualTo("SELF_CHANGE");
  }

  @Test
  void usersChangeTheirOwnPasswordWithTheCurrentOne() {
    identity.createUser(owner, "ana", "data-scientist", Optional.of(PASSWORD));
    Principal ana = identity.authenticate(identity.login("ana", PASSWORD, "10.0.0.1").token());
    assertThatThrownBy(() -> identity.updateUser(ana, "ana", Optional.empty(), Optional.empty(), Optional.of("another long password"), Optional.of("wrong")))
        .isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> identity.updateUser(ana, "ana", Optional.empty(), Optional.empty(), Optional.of("another long password"), Optional.empty()))
        .isInstanceOf(PermissionDeniedException.class);
    String session = identity.login("ana", PASSWORD, "10.0.0.2").token();
    String personal = identity.createToken(ana, "laptop", 30).token();
    identity.updateUser(ana, "ana", Optional.empty(), Optional.empty(), Optional.of("another long password"), Optional.of(PASSWORD));
    assertThat(identity.login("ana", "another long password", "10.0.0.1").user().name()).isEqualTo("ana");
    // the new password ends the login sessions made with the old one; personal tokens stay
    assertThat(catchFailure(() -> identity.authenticate(session)).code()).isEqualTo("TOKEN_REVOKED");
    assertThat(identity.authenticate(personal).name()).isEqualTo("ana");
    AuditEvent updated = events().stream().filter(e -> e.action().equals("user.updated")).findFirst().orElseThrow();
    assertThat(updated.details()).containsEntry("password", "changed").containsEntry("sessionsEnded", "2");
    assertThat(updated.details().toString()).doesNotContain("another long password").doesNotContain("argon2");
  }

  @Test
  void customRolesAreCreatedChangedAndDeletedButNotBuiltInsOrRolesInUse() {
    Role auditor = identity.createRole(owner, "auditor", "reads everything", List.of(Permission.TRIAGE_REQUESTS));
    assertThat(auditor.builtin()).isFalse();
    assertThatThrownBy(() -> identity.createRole(owner, "auditor", "", List.of())).isInstanceOf(ConflictException.class);
    Role changed = identity.updateRole(owner, "auditor", "reads and budgets", List.of(Permission.TRIAGE_REQUESTS, Permission.MANAGE_PRIVACY_BUDGET));
    assertThat(changed.permissions()).containsExactly(Permission.TRIAGE_REQUESTS, Permission.MANAGE_PRIVACY_BUDGET);

    identity.createUser(owner, "ida", "auditor", Optional.of(PASSWORD));
    Principal ida = identity.authenticate(identity.login("ida", PASSWORD, "10.0.0.1").token());
    assertThat(ida.permissions()).containsExactlyInAnyOrder(Permission.TRIAGE_REQUESTS, Permission.MANAGE_PRIVACY_BUDGET);
    assertThat(catchFailure(() -> identity.deleteRole(owner, "auditor")).code()).isEqualTo("ROLE_IN_USE");
    assertThat(catchFailure(() -> identity.deleteRole(owner, "data-scientist")).code()).isEqualTo("ROLE_BUILTIN");
    assertThat(catchFailure(() -> identity.updateRole(owner, "owner", "", List.of())).code()).isEqualTo("ROLE_BUILTIN");
    assertThat(catchFailure(() -> identity.deleteRole(owner, "nope")).code()).isEqualTo("ROLE_NOT_FOUND");

    identity.updateUser(owner, "ida", Optional.of("data-scientist"), Optional.empty(), Optional.empty(), Optional.empty());
    identity.deleteRole(owner, "auditor");
    assertThat(identity.roles()).extracting(Role::name).doesNotContain("auditor");
    assertThat(events()).extracting(AuditEvent::action).contains("role.created", "role.updated", "role.deleted");
  }

  @Test
  void aFailedChangeWritesNeitherTheChangeNorItsAuditEvent() {
    long before = events().size();
    // the user insert fails after the role check (duplicate name): nothing, audit included, is written
    identity.createUser(owner, "ana", "data-scientist", Optional.of(PASSWORD));
    long afterCreate = events().size();
    assertThat(afterCreate).isEqualTo(before + 1);
    assertThatThrownBy(() -> db.transact("create and fail", () -> {
      identity.createRole(owner, "temp", "", List.of());
      throw new IllegalStateException("boom");
    })).hasMessage("boom");
    assertThat(identity.roles()).extracting(Role::name).doesNotContain("temp");
    assertThat(events()).hasSize((int) afterCreate);
    assertThat(audit.verify().intact()).isTrue();
  }

  // ---- helpers ----

  private TokenInfo info(IssuedToken issued) {
    return identity.tokens(owner).stream().filter(t -> t.id().equals(issued.info().id())).findFirst().orElseThrow();
  }

  private List<AuditEvent> events() {
    return audit.events(AuditQuery.all(1000));
  }

  private static FedGridException catchFailure(Runnable call) {
    try {
      call.run();
    } catch (FedGridException e) {
      return e;
    }
    throw new AssertionError("expected a FedGridException");
  }
}
