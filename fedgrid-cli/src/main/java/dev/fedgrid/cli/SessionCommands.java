package dev.fedgrid.cli;

import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.client.FedGridClient;
import dev.fedgrid.client.LoginResult;
import dev.fedgrid.client.User;
import java.io.PrintStream;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fedgrid login}, {@code fedgrid logout} and {@code fedgrid whoami}: a person's session with a gateway. */
final class SessionCommands {
  private SessionCommands() {}

  @Command(
      name = "login",
      description = {
        "Log in to a gateway with a user name and password and store the session token (valid 12 hours) in",
        "~/.fedgrid/credentials.json (readable only by you; FEDGRID_CREDENTIALS names another file). Later",
        "commands to that gateway use it unless --token or FEDGRID_TOKEN is given. The password is asked",
        "at the terminal without echo, or read from standard input with --password-stdin."
      },
      footer = {"", "Example:", "  fedgrid login --gateway https://127.0.0.1:7600 --ca ~/.fedgrid/ca.pem --user ana",
        "  printf '%%s\\n' \"$PASSWORD\" | fedgrid login --user ana --password-stdin",
        "", "A new gateway's owner password is in <gateway data dir>/owner-credential.json."})
  static final class Login implements Callable<Integer> {
    @Mixin GatewayOption gateway;

    @Mixin HelpOption help;

    @Spec CommandSpec spec;

    @Option(names = "--user", paramLabel = "NAME", description = "Your user name. Default: asked at the terminal.")
    String user;

    @Option(names = "--password-stdin", description = "Read the password from the first line of standard input. Default: asked at the terminal.")
    boolean passwordStdin;

    @Override
    public Integer call() {
      if (user == null) user = Secrets.askLine("user: ");
      if (user == null) throw new ParameterException(spec.commandLine(), "--user is required when there is no terminal to ask for it");
      String password = passwordStdin
          ? Secrets.fromStdin(spec, 1, "the password").getFirst()
          : Secrets.ask(spec, "password for " + user + " at " + gateway.key() + ": ", false);
      PrintStream out = FedGridCommand.of(spec).out();
      try (FedGridClient anonymous = gateway.client(); FedGridClient session = anonymous.login(user, password)) {
        LoginResult login = session.session().orElseThrow();
        var credentials = Credentials.ofUser();
        credentials.store(gateway.key(), login.token());
        out.println("logged in to " + gateway.key() + " as " + login.user().name() + " (role " + login.user().role() + ") until "
            + Format.instant(login.expiresAt()));
        FedGridCommand.of(spec).err().println("session token stored in " + credentials.file() + "; `fedgrid logout` removes it");
      }
      return Main.OK;
    }
  }

  @Command(
      name = "logout",
      description = {"Forget the session token stored for a gateway by `fedgrid login`. The gateway keeps the session",
        "until it expires; revoke it with `fedgrid token revoke` to end it at once."},
      footer = {"", "Example:", "  fedgrid logout --gateway https://127.0.0.1:7600"})
  static final class Logout implements Callable<Integer> {
    @Mixin GatewayOption gateway;

    @Mixin HelpOption help;

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      var credentials = Credentials.ofUser();
      PrintStream out = FedGridCommand.of(spec).out();
      if (credentials.remove(gateway.key())) out.println("logged out of " + gateway.key() + " (removed its token from " + credentials.file() + ")");
      else out.println("not logged in to " + gateway.key() + "; nothing to do");
      return Main.OK;
    }
  }

  @Command(name = "whoami", description = "Show who the token belongs to: user, role and permissions.",
      footer = {"", "Example:", "  fedgrid whoami", "  fedgrid whoami --json"})
  static final class Whoami extends ClientCommand {
    @Option(names = "--json", description = "Print the API's JSON instead of text. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      User me = client.me();
      if (json) {
        printJson(me);
        return Main.OK;
      }
      out().println(me.name() + " (" + me.id() + ") at " + client.baseUri());
      describe(out(), me);
      return Main.OK;
    }
  }

  /** A user's role, permissions and state as key-value lines. */
  static void describe(PrintStream out, User user) {
    var table = new Table("KEY", "VALUE").withoutHeader();
    table.row("role", user.role());
    table.row("permissions", permissions(user.permissions()));
    table.row("status", user.disabled() ? "disabled" : "active");
    table.row("created", Format.instant(user.createdAt()));
    table.print(out);
  }

  /** Permissions as their wire names, comma-separated, in the enum's order; "all" for every one, "-" for none. */
  static String permissions(Set<Permission> permissions) {
    if (permissions.isEmpty()) return "-";
    if (permissions.size() == Permission.values().length) return "all";
    return permissions.stream().sorted().map(Permission::wireName).collect(Collectors.joining(", "));
  }
}
