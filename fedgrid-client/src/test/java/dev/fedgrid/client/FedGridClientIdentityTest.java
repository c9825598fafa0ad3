package dev.fedgrid.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.TokenId;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.client.FlakyRelay.Break;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK's identity calls against a real gateway in this JVM (see {@link TestGrid#gatewayOnly}):
 * the bearer token on every call, login, the caller, users, roles and personal tokens, and how each
 * refusal arrives. The owner signs in with the credential the gateway's first start wrote, as a
 * person would; everyone else is created here.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FedGridClientIdentityTest {
  private static final String PASSWORD = "correct horse battery staple";

  @TempDir static Path dir;
  private static TestGrid grid;
  private static FedGridClient owner;

  @BeforeAll
  static void start() throws Exception {
    grid = TestGrid.gatewayOnly(dir);
    owner = grid.client();
  }

  @AfterAll
  static void stop() {
    if (grid != null) grid.close();
  }

  private static FedGridClient anonymous() {
    return grid.clientBuilder().build();
  }

  private static FedGridClient withToken(String token) {
    return grid.clientBuilder().token(token).build();
  }

  /** Creates {@code name} with {@code role} and the test password. */
  private static User user(String name, String role) {
    NewUser created = owner.createUser(name, role, PASSWORD);
    assertThat(created.password()).as("a chosen password is not echoed").isNull();
    return created.user();
  }

  @Test
  void theOwnerTokenFromTheFirstStartIsTheOwner() {
    User me = owner.me();
    assertThat(me.name()).isEqualTo("owner");
    assertThat(me.role()).isEqualTo("owner");
    assertThat(me.permissions()).containsExactlyInAnyOrderElementsOf(EnumSet.allOf(Permission.class));
    assertThat(me.disabled()).isFalse();
    assertThat(me.id().value()).startsWith("user_");
  }

  @Test
  void everyCallCarriesTheBearerTokenAndTheClientNeverShowsIt() throws Exception {
    String token = grid.owner().token();
    try (var relay = new FlakyRelay(grid, Break.NONE, 0);
        var c = FedGridClient.builder().baseUri(relay.uri()).token(token).build()) {
      c.me();
      c.nodes();
      c.roles();
      assertThat(relay.requests()).hasSize(3).allSatisfy(r -> assertThat(r.headers()).containsEntry("Authorization", "Bearer " + token));
      assertThat(c.toString()).contains(relay.uri().toString()).doesNotContain(token);
      assertThat(FedGridClient.builder().token(token).toString()).doesNotContain(token);
    }
    try (var relay = new FlakyRelay(grid, Break.NONE, 0);
        var c = FedGridClient.builder().baseUri(relay.uri()).build()) {
      c.health();
      assertThat(relay.requests()).singleElement().satisfies(r -> assertThat(r.headers()).doesNotContainKey("Authorization"));
    }
  }

  @Test
  void withoutATokenOnlyHealthAndLoginAnswer() {
    try (var c = anonymous()) {
      assertThat(c.authenticated()).isFalse();
      assertThat(c.health().status()).isEqualTo("ok");
      assertThatThrownBy(c::nodes).isInstanceOfSatisfying(UnauthenticatedException.class, e -> {
        assertThat(e.code()).isEqualTo("UNAUTHENTICATED");
        assertThat(e.getMessage()).contains("Authorization: Bearer");
      });
      assertThatThrownBy(() -> c.jobs(null, null, 0)).isInstanceOf(UnauthenticatedException.class);
    }
    try (var c = withToken("fgt_" + "A".repeat(43))) {
      assertThatThrownBy(c::me).isInstanceOfSatisfying(UnauthenticatedException.class, e -> assertThat(e.code()).isEqualTo("TOKEN_INVALID"));
    }
    assertThatThrownBy(() -> FedGridClient.builder().token("two words").build())
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_TOKEN_FORMAT"));
  }

  @Test
  void loginReturnsAClientCarryingTheSession() {
    User ana = user("ana", "data-scientist");
    Instant before = Instant.now();
    try (var c = anonymous(); var session = c.login("ana", PASSWORD)) {
      assertThat(c.authenticated()).as("the anonymous client is unchanged").isFalse();
      assertThat(session.authenticated()).isTrue();
      LoginResult login = session.session().orElseThrow();
      assertThat(login.user()).isEqualTo(ana);
      assertThat(login.token()).startsWith("fgt_");
      assertThat(login.expiresAt()).isBetween(before.plus(Duration.ofHours(11)), before.plus(Duration.ofHours(13)));
      assertThat(login.toString()).doesNotContain(login.token());
      assertThat(session.toString()).contains("session of ana").doesNotContain(login.token());

      User me = session.me();
      assertThat(me).isEqualTo(ana);
      assertThat(me.permissions()).containsExactly(Permission.MAKE_DATA_REQUESTS);
      assertThat(session.tokens()).extracting(ApiToken::name).contains("login");
      assertThat(session.baseUri()).isEqualTo(c.baseUri());
    }
  }

  @Test
  void aWrongPasswordAndAnUnknownUserFailAlike() {
    user("bo", "data-owner");
    try (var c = anonymous()) {
      FedGridException wrong = catchFailure(() -> c.login("bo", "not the password at all"));
      FedGridException unknown = catchFailure(() -> c.login("nobody-here", "not the password at all"));
      assertThat(wrong).isInstanceOf(UnauthenticatedException.class);
      assertThat(unknown).isInstanceOf(UnauthenticatedException.class);
      assertThat(wrong.code()).isEqualTo("LOGIN_FAILED").isEqualTo(unknown.code());
      assertThat(wrong.getMessage()).isEqualTo(unknown.getMessage()).isEqualTo("wrong user name or password");
    }
  }

  @Test
  void repeatedFailuresAreRateLimitedWithARetryAfter() {
    user("cy", "data-scientist");
    try (var c = anonymous()) {
      FedGridException last = null;
      for (int i = 0; i < 30 && (last == null || last.code().equals("LOGIN_FAILED")); i++) last = catchFailure(() -> c.login("cy", "guessing-" + Math.random()));
      assertThat(last).isInstanceOf(UnauthenticatedException.class);
      assertThat(last.code()).isEqualTo("LOGIN_RATE_LIMITED");
      assertThat(last.details().get("retryAfterSeconds")).isInstanceOfSatisfying(Number.class, n -> assertThat(n.longValue()).isPositive());
      // even the right password waits now: the limit does not tell a guess from the truth
      assertThatThrownBy(() -> c.login("cy", PASSWORD)).isInstanceOfSatisfying(UnauthenticatedException.class, e -> assertThat(e.code()).isEqualTo("LOGIN_RATE_LIMITED"));
    }
  }

  @Test
  void usersAreCreatedListedChangedAndDisabled() throws Exception {
    NewUser dee = owner.createUser("dee", "data-scientist", null);
    assertThat(dee.generatedPassword()).as("the gateway generated a password and shows it once").isPresent();
    assertThat(dee.toString()).doesNotContain(dee.password());
    assertThat(owner.users()).extracting(User::name).contains("owner", "dee");
    assertThat(owner.user("dee")).isEqualTo(dee.user());

    User promoted = owner.updateUser("dee", UserUpdate.role("compliance-officer"));
    assertThat(promoted.role()).isEqualTo("compliance-officer");
    assertThat(promoted.permissions()).containsExactlyInAnyOrder(Permission.TRIAGE_REQUESTS, Permission.MANAGE_PRIVACY_BUDGET);

    try (var session = anonymous().login("dee", dee.password())) {
      assertThat(session.me().role()).isEqualTo("compliance-officer");
      assertThatThrownBy(session::users).isInstanceOfSatisfying(PermissionDeniedException.class, e -> {
        assertThat(e.code()).isEqualTo("PERMISSION_DENIED");
        assertThat(e.getMessage()).contains("can_manage_users");
      });

      assertThat(owner.updateUser("dee", UserUpdate.disabled(true)).disabled()).isTrue();
      assertThatThrownBy(session::me).isInstanceOfSatisfying(UnauthenticatedException.class, e -> assertThat(e.code()).isEqualTo("USER_DISABLED"));
      assertThat(owner.updateUser("dee", UserUpdate.disabled(false)).disabled()).isFalse();
      assertThat(session.me().name()).isEqualTo("dee");

      // one's own password, with the current one
      String next = "a new and longer passphrase";
      session.updateUser("dee", UserUpdate.changeOwnPassword(dee.password(), next));
      try (var again = anonymous().login("dee", next)) {
        assertThat(again.me().name()).isEqualTo("dee");
      }
    }
    assertThatThrownBy(() -> owner.user("nobody")).isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo("USER_NOT_FOUND"));
    assertThatThrownBy(() -> owner.createUser("dee", "data-scientist", null)).isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo("USER_EXISTS"));
    assertThatThrownBy(() -> owner.createUser("eve", "pirate", null)).isInstanceOf(FedGridException.class).extracting(e -> ((FedGridException) e).code()).isEqualTo("UNKNOWN_ROLE");
  }

  @Test
  void rolesAreSeededAndCustomOnesCanBeChangedAndDeleted() {
    List<Role> roles = owner.roles();
    assertThat(roles).filteredOn(Role::builtin).extracting(Role::name)
        .containsExactlyInAnyOrder("owner", "administrator", "compliance-officer", "data-scientist", "data-owner");
    Role administrator = roles.stream().filter(r -> r.name().equals("administrator")).findFirst().orElseThrow();
    assertThat(administrator.permissions()).contains(Permission.MANAGE_USERS).doesNotContain(Permission.TRIAGE_REQUESTS, Permission.MANAGE_PRIVACY_BUDGET);

    Role reviewer = owner.createRole("reviewer", "reads release requests", Set.of(Permission.TRIAGE_REQUESTS));
    assertThat(reviewer).isEqualTo(new Role("reviewer", "reads release requests", Set.of(Permission.TRIAGE_REQUESTS), false));
    Role changed = owner.updateRole("reviewer", "reviews releases and budgets", Set.of(Permission.TRIAGE_REQUESTS, Permission.MANAGE_PRIVACY_BUDGET));
    assertThat(changed.permissions()).containsExactlyInAnyOrder(Permission.TRIAGE_REQUESTS, Permission.MANAGE_PRIVACY_BUDGET);
    assertThat(owner.roles()).contains(changed);

    assertThatThrownBy(() -> owner.deleteRole("data-scientist")).isInstanceOfSatisfying(FedGridException.class, e -> assertThat(e.code()).isEqualTo("ROLE_BUILTIN"));
    owner.deleteRole("reviewer");
    assertThat(owner.roles()).extracting(Role::name).doesNotContain("reviewer");
    assertThatThrownBy(() -> owner.deleteRole("reviewer")).isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo("ROLE_NOT_FOUND"));
  }

  @Test
  void personalTokensWorkUntilRevoked() {
    user("fay", "data-scientist");
    try (var session = anonymous().login("fay", PASSWORD)) {
      IssuedToken issued = session.createToken("notebook", 30);
      assertThat(issued.token()).startsWith("fgt_");
      assertThat(issued.toString()).doesNotContain(issued.token());
      assertThat(issued.info().name()).isEqualTo("notebook");
      assertThat(issued.info().revoked()).isFalse();
      assertThat(Duration.between(issued.info().createdAt(), issued.info().expiresAt()).minus(Duration.ofDays(30)).abs()).isLessThan(Duration.ofSeconds(1));

      try (var script = withToken(issued.token())) {
        assertThat(script.me().name()).isEqualTo("fay");
        List<ApiToken> listed = script.tokens();
        assertThat(listed).extracting(ApiToken::id).contains(issued.info().id());
        assertThat(listed.toString()).doesNotContain(issued.token());

        session.revokeToken(issued.info().id());
        assertThatThrownBy(script::me).isInstanceOfSatisfying(UnauthenticatedException.class, e -> assertThat(e.code()).isEqualTo("TOKEN_REVOKED"));
      }
      assertThat(session.tokens()).filteredOn(t -> t.id().equals(issued.info().id())).singleElement().satisfies(t -> assertThat(t.revoked()).isTrue());
      assertThat(session.createToken("default expiry", 0).info().expiresAt()).isAfter(Instant.now().plus(Duration.ofDays(89)));
      assertThatThrownBy(() -> session.createToken("too long", 366)).isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_EXPIRY"));
      assertThatThrownBy(() -> session.revokeToken(TokenId.random())).isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo("TOKEN_NOT_FOUND"));
    }
  }

  @Test
  void aRetryAfterHeaderBecomesADetail() {
    var headers = HttpHeaders.of(Map.of("Retry-After", List.of("42")), (a, b) -> true);
    byte[] body = "{\"code\": \"LOGIN_RATE_LIMITED\", \"message\": \"too many failed logins\"}".getBytes(StandardCharsets.UTF_8);
    FedGridException e = Errors.fromResponse(401, body, "POST", grid.uri(), headers);
    assertThat(e).isInstanceOf(UnauthenticatedException.class);
    assertThat(e.details()).containsEntry("retryAfterSeconds", 42L);
    FedGridException denied = Errors.fromResponse(403, "{\"code\": \"PERMISSION_DENIED\", \"message\": \"no\"}".getBytes(StandardCharsets.UTF_8), "GET", grid.uri());
    assertThat(denied).isInstanceOf(PermissionDeniedException.class);
  }

  private static FedGridException catchFailure(Runnable call) {
    try {
      call.run();
    } catch (FedGridException e) {
      return e;
    }
    throw new AssertionError("the call succeeded");
  }
}
