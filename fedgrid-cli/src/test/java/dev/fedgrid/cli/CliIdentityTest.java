package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fedgrid.cli.CliHelpTest.Run;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedgrid login}, {@code logout}, {@code whoami}, {@code user}, {@code role} and {@code
 * token} against a real gateway in this JVM (see {@link TestGrid#gatewayOnly}): what is stored
 * where, where the token comes from, human and JSON output, exit codes, and what a refusal says.
 * The owner starts from the credential the gateway's first start wrote; the stored logins live in a
 * file of this test ({@code FEDGRID_CREDENTIALS}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CliIdentityTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PASSWORD = "correct horse battery staple";

  @TempDir static Path dir;
  private static TestGrid grid;
  private static Path credentials;
  private static String previousCredentials;

  @BeforeAll
  static void start() throws Exception {
    grid = TestGrid.gatewayOnly(dir);
    credentials = dir.resolve("home").resolve(".fedgrid").resolve("credentials.json");
    previousCredentials = System.getProperty(Credentials.VARIABLE);
    System.setProperty(Credentials.VARIABLE, credentials.toString());
  }

  @AfterAll
  static void stop() {
    if (previousCredentials == null) System.clearProperty(Credentials.VARIABLE);
    else System.setProperty(Credentials.VARIABLE, previousCredentials);
    if (grid != null) grid.close();
  }

  @AfterEach
  void forgetTheEnvironmentToken() {
    System.clearProperty(TokenOption.VARIABLE);
  }

  /** Runs against the grid's gateway with {@code stdin} as standard input and no token unless given. */
  private static Run cli(String stdin, String... args) {
    var all = new ArrayList<>(List.of(args));
    all.add("--gateway");
    all.add(grid.url());
    var out = new ByteArrayOutputStream();
    var err = new ByteArrayOutputStream();
    int code = Main.run(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), all.toArray(String[]::new));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** As the owner, with the first-start token. */
  private static Run owner(String... args) {
    var all = new ArrayList<>(List.of(args));
    all.add("--token");
    all.add(grid.owner().token());
    return cli("", all.toArray(String[]::new));
  }

  private static void createUser(String name, String role) {
    Run r = cli(PASSWORD + "\n", "user", "create", name, "--role", role, "--password-stdin", "--token", grid.owner().token());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).doesNotContain("password");
  }

  // ---- login, logout, whoami ----

  @Test
  void loginStoresTheSessionThatLaterCommandsUseUntilLogout() throws Exception {
    createUser("ana", "data-scientist");
    Run login = cli(PASSWORD + "\n", "login", "--user", "ana", "--password-stdin");
    assertThat(login.code()).as(login.err()).isZero();
    assertThat(login.out()).startsWith("logged in to " + grid.url() + " as ana (role data-scientist) until ");
    assertThat(login.err()).contains("session token stored in " + credentials);
    assertThat(login.out() + login.err()).doesNotContain(PASSWORD);

    assertThat(Files.getPosixFilePermissions(credentials)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    JsonNode stored = JSON.readTree(credentials.toFile());
    assertThat(stored.size()).isEqualTo(1);
    String session = stored.get(grid.url()).asText();
    assertThat(session).startsWith("fgt_");

    Run whoami = cli("", "whoami");
    assertThat(whoami.code()).as(whoami.err()).isZero();
    assertThat(whoami.out()).startsWith("ana (user_").contains("role         data-scientist").contains("permissions  can_make_data_requests")
        .contains("status       active");
    JsonNode me = JSON.readTree(cli("", "whoami", "--json").out());
    assertThat(me.get("name").asText()).isEqualTo("ana");
    assertThat(me.get("permissions").toString()).isEqualTo("[\"can_make_data_requests\"]");

    // FEDGRID_TOKEN wins over the stored session, --token over both
    System.setProperty(TokenOption.VARIABLE, grid.owner().token());
    assertThat(cli("", "whoami").out()).startsWith("owner (");
    assertThat(cli("", "whoami", "--token", session).out()).startsWith("ana (");
    System.clearProperty(TokenOption.VARIABLE);

    Run logout = cli("", "logout");
    assertThat(logout.code()).isZero();
    assertThat(logout.out()).isEqualTo("logged out of " + grid.url() + " (removed its token from " + credentials + ")\n");
    assertThat(JSON.readTree(credentials.toFile()).size()).isZero();
    assertThat(cli("", "logout").out()).isEqualTo("not logged in to " + grid.url() + "; nothing to do\n");

    Run after = cli("", "whoami");
    assertThat(after.code()).isEqualTo(Main.FAILURE);
    assertThat(after.err()).isEqualTo("error: not logged in to " + grid.url() + ": run `fedgrid login --gateway " + grid.url()
        + "` (or pass --token, or set FEDGRID_TOKEN) (UNAUTHENTICATED)\n");
  }

  @Test
  void aFailedLoginStoresNothingAndSaysNotWhichPartWasWrong() throws Exception {
    createUser("bo", "data-owner");
    Run wrong = cli("not the right password\n", "login", "--user", "bo", "--password-stdin");
    Run unknown = cli("not the right password\n", "login", "--user", "nobody-at-all", "--password-stdin");
    for (Run r : List.of(wrong, unknown)) {
      assertThat(r.code()).isEqualTo(Main.FAILURE);
      assertThat(r.err()).isEqualTo("error: wrong user name or password (LOGIN_FAILED)\n");
      assertThat(r.out()).isEmpty();
    }
    assertThat(Files.exists(credentials) ? JSON.readTree(credentials.toFile()).has(grid.url()) : false).isFalse();

    Run noTerminal = cli("", "login", "--user", "bo");
    assertThat(noTerminal.code()).isEqualTo(Main.USAGE);
    assertThat(noTerminal.err()).contains("no terminal to ask for a password: pipe it in with --password-stdin");
    Run empty = cli("", "login", "--user", "bo", "--password-stdin");
    assertThat(empty.code()).isEqualTo(Main.USAGE);
    assertThat(empty.err()).contains("--password-stdin expects the password on standard input");
    Run noUser = cli(PASSWORD + "\n", "login", "--password-stdin");
    assertThat(noUser.code()).isEqualTo(Main.USAGE);
    assertThat(noUser.err()).contains("--user is required");
  }

  @Test
  void aRevokedTokenSaysWhereItCameFromAndHowToLogIn() throws Exception {
    Run created = owner("token", "create", "short-lived", "--expires-in-days", "1");
    assertThat(created.code()).as(created.err()).isZero();
    String secret = created.out().strip();
    assertThat(secret).startsWith("fgt_").doesNotContain("\n");
    assertThat(created.err()).startsWith("token tok_").contains("'short-lived' expires ").contains("shown this once");
    String id = created.err().split(" ")[1];

    System.setProperty(TokenOption.VARIABLE, secret);
    assertThat(cli("", "whoami").code()).isZero();
    Run revoke = owner("token", "revoke", id);
    assertThat(revoke.code()).as(revoke.err()).isZero();
    assertThat(revoke.out()).isEqualTo("revoked token " + id + "\n");

    Run refused = cli("", "node", "list");
    assertThat(refused.code()).isEqualTo(Main.FAILURE);
    assertThat(refused.err()).startsWith("error: not logged in to " + grid.url() + ": ").contains("(the token from FEDGRID_TOKEN)")
        .contains("run `fedgrid login --gateway " + grid.url() + "` for a new session").endsWith("(TOKEN_REVOKED)\n");
    assertThat(refused.err()).doesNotContain(secret);
  }

  // ---- users ----

  @Test
  void usersFromCreationToDisabled() throws Exception {
    Run created = owner("user", "create", "cy", "--role", "data-scientist");
    assertThat(created.code()).as(created.err()).isZero();
    assertThat(created.out()).startsWith("created user cy (user_").contains(") with role data-scientist\npassword: ");
    assertThat(created.err()).contains("shown this once");
    String generated = created.out().lines().filter(l -> l.startsWith("password: ")).findFirst().orElseThrow().substring("password: ".length());
    assertThat(cli(generated + "\n", "login", "--user", "cy", "--password-stdin").code()).isZero();

    Run list = owner("user", "list");
    assertThat(list.code()).as(list.err()).isZero();
    List<String> lines = list.out().lines().toList();
    assertThat(lines.getFirst().split("\\s{2,}")).containsExactly("NAME", "ROLE", "STATUS", "CREATED", "ID");
    assertThat(lines).anySatisfy(l -> assertThat(l.split("\\s+")).startsWith("owner", "owner", "active"));
    assertThat(lines).anySatisfy(l -> assertThat(l.split("\\s+")).startsWith("cy", "data-scientist", "active"));
    JsonNode items = JSON.readTree(owner("user", "list", "--json").out()).get("items");
    assertThat(items.findValuesAsText("name")).contains("owner", "cy");

    Run show = owner("user", "show", "cy", "--json");
    assertThat(JSON.readTree(show.out()).get("role").asText()).isEqualTo("data-scientist");
    assertThat(owner("user", "show", "cy").out()).startsWith("cy (user_").contains("permissions  can_make_data_requests");

    Run promote = owner("user", "update", "cy", "--role", "compliance-officer");
    assertThat(promote.code()).as(promote.err()).isZero();
    assertThat(promote.out()).isEqualTo("updated user cy: role compliance-officer, active\n");

    Run disable = owner("user", "disable", "cy");
    assertThat(disable.out()).isEqualTo("disabled user cy\n");
    Run locked = cli("", "whoami");
    assertThat(locked.code()).isEqualTo(Main.FAILURE);
    assertThat(locked.err()).endsWith("(USER_DISABLED)\n");
    assertThat(owner("user", "update", "cy", "--enable").out()).isEqualTo("updated user cy: role compliance-officer, active\n");
    assertThat(cli("", "whoami").out()).startsWith("cy (");

    // cy changes their own password with the current one; the owner resets it without
    String mine = "cy's own long passphrase";
    Run passwd = cli(generated + "\n" + mine + "\n", "user", "passwd", "--password-stdin");
    assertThat(passwd.code()).as(passwd.err()).isZero();
    assertThat(passwd.out()).isEqualTo("changed the password of cy\n");
    assertThat(cli(mine + "\n", "login", "--user", "cy", "--password-stdin").code()).isZero();
    Run reset = cli(PASSWORD + "\n", "user", "update", "cy", "--password-stdin", "--token", grid.owner().token());
    assertThat(reset.out()).isEqualTo("updated user cy: role compliance-officer, active, new password set\n");
    assertThat(cli(PASSWORD + "\n", "login", "--user", "cy", "--password-stdin").code()).isZero();

    Run denied = cli("", "user", "list");
    assertThat(denied.code()).isEqualTo(Main.FAILURE);
    assertThat(denied.err()).contains("can_manage_users").endsWith("(PERMISSION_DENIED)\n");
    cli("", "logout");

    assertThat(owner("user", "update", "cy").code()).isEqualTo(Main.USAGE);
    assertThat(owner("user", "show", "nobody").err()).endsWith("(USER_NOT_FOUND)\n");
  }

  // ---- roles ----

  @Test
  void customRolesAreCreatedChangedAndDeleted() throws Exception {
    Run list = owner("role", "list");
    assertThat(list.code()).as(list.err()).isZero();
    assertThat(list.out().lines().toList().getFirst().split("\\s{2,}")).containsExactly("NAME", "KIND", "PERMISSIONS", "DESCRIPTION");
    assertThat(list.out()).containsPattern("(?m)^administrator +built-in +can_manage_users, can_edit_roles, can_upload_data, can_manage_infrastructure, can_edit_settings");
    assertThat(JSON.readTree(owner("role", "list", "--json").out()).get("items").findValuesAsText("name"))
        .contains("owner", "administrator", "compliance-officer", "data-scientist", "data-owner");

    Run create = owner("role", "create", "reviewer", "--permission", "triage_requests", "--description", "reads requests");
    assertThat(create.code()).as(create.err()).isZero();
    assertThat(create.out()).isEqualTo("created role reviewer: can_triage_requests\n");
    Run update = owner("role", "update", "reviewer", "--permission", "can_triage_requests,can_manage_privacy_budget");
    assertThat(update.out()).isEqualTo("updated role reviewer: can_triage_requests, can_manage_privacy_budget\n");
    JsonNode reviewer = JSON.readTree(owner("role", "update", "reviewer", "--description", "reviews releases", "--json").out());
    assertThat(reviewer.get("description").asText()).isEqualTo("reviews releases");
    assertThat(reviewer.get("permissions")).hasSize(2);
    assertThat(reviewer.get("builtin").asBoolean()).isFalse();

    Run unknown = owner("role", "create", "x", "--permission", "fly");
    assertThat(unknown.code()).isEqualTo(Main.USAGE);
    assertThat(unknown.err()).contains("unknown permission 'fly'").contains("can_make_data_requests");
    assertThat(owner("role", "delete", "owner").err()).endsWith("(ROLE_BUILTIN)\n");

    Run delete = owner("role", "delete", "reviewer");
    assertThat(delete.out()).isEqualTo("deleted role reviewer\n");
    assertThat(owner("role", "update", "reviewer", "--description", "x").err()).endsWith("(ROLE_NOT_FOUND)\n");
  }

  // ---- tokens ----

  @Test
  void tokensAreListedWithoutSecrets() throws Exception {
    Run created = owner("token", "create", "ci", "--json");
    assertThat(created.code()).as(created.err()).isZero();
    JsonNode issued = JSON.readTree(created.out());
    String secret = issued.get("token").asText();
    String id = issued.at("/info/id").asText();
    assertThat(id).startsWith("tok_");

    Run list = owner("token", "list");
    assertThat(list.code()).as(list.err()).isZero();
    assertThat(list.out()).doesNotContain(secret).doesNotContain(grid.owner().token());
    assertThat(list.out().lines().toList().getFirst().split("\\s{2,}")).containsExactly("ID", "NAME", "STATUS", "CREATED", "EXPIRES", "LAST USED");
    assertThat(list.out().lines().filter(l -> l.startsWith(id))).singleElement().satisfies(l -> assertThat(l.split("\\s+")).startsWith(id, "ci", "active"));
    assertThat(list.out()).containsPattern("(?m)^tok_\\S+ +bootstrap +active");
    JsonNode items = JSON.readTree(owner("token", "list", "--json").out()).get("items");
    assertThat(items.findValuesAsText("id")).contains(id);
    assertThat(items.toString()).doesNotContain(secret);

    assertThat(owner("token", "create", "x", "--expires-in-days", "400").code()).isEqualTo(Main.USAGE);
    assertThat(owner("token", "revoke", "tok_x").err()).endsWith("(INVALID_ID)\n");
  }
}
