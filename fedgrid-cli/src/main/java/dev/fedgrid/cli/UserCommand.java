package dev.fedgrid.cli;

import dev.fedgrid.client.FedGridClient;
import dev.fedgrid.client.NewUser;
import dev.fedgrid.client.User;
import dev.fedgrid.client.UserUpdate;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fedgrid user list|create|show|update|disable|passwd}: the people who may use the gateway. */
@Command(
    name = "user",
    description = "List, create, show, change and disable users (needs can_manage_users, except changing your own password).",
    subcommands = {
      UserCommand.ListUsers.class,
      UserCommand.Create.class,
      UserCommand.Show.class,
      UserCommand.Update.class,
      UserCommand.Disable.class,
      UserCommand.Passwd.class
    },
    footer = {"", "Example:", "  fedgrid user create ana --role data-scientist", "  fedgrid user list"})
public final class UserCommand implements Runnable {
  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing a subcommand: list, create, show, update, disable or passwd");
  }

  @Command(name = "list", description = "List every user with role and status.", footer = {"", "Example:", "  fedgrid user list --json"})
  static final class ListUsers extends ClientCommand {
    @Option(names = "--json", description = "Print the API's JSON instead of a table. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      List<User> users = client.users();
      if (json) {
        printJson(Map.of("items", users));
        return Main.OK;
      }
      var table = new Table("NAME", "ROLE", "STATUS", "CREATED", "ID");
      for (User u : users) table.row(u.name(), u.role(), u.disabled() ? "disabled" : "active", Format.instant(u.createdAt()), u.id().value());
      table.print(out());
      return Main.OK;
    }
  }

  @Command(
      name = "create",
      description = {"Create a user with a role. Without --password-stdin the gateway generates a password, printed",
        "once: pass it on safely; the user changes it with `fedgrid user passwd`."},
      footer = {"", "Example:", "  fedgrid user create ana --role data-scientist",
        "  printf '%%s\\n' \"$PASSWORD\" | fedgrid user create bo --role compliance-officer --password-stdin"})
  static final class Create extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The new user's login name.")
    String name;

    @Option(names = "--role", paramLabel = "ROLE", required = true, description = "Required: the role, such as data-scientist (see `fedgrid role list`).")
    String role;

    @Option(names = "--password-stdin", description = "Read the password from the first line of standard input. Default: the gateway generates one.")
    boolean passwordStdin;

    @Option(names = "--json", description = "Print the API's JSON (with a generated password) instead of text. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      String password = passwordStdin ? Secrets.fromStdin(spec, 1, "the password").getFirst() : null;
      NewUser created = client.createUser(name, role, password);
      if (json) {
        printJson(created);
        return Main.OK;
      }
      User u = created.user();
      out().println("created user " + u.name() + " (" + u.id() + ") with role " + u.role());
      created.generatedPassword().ifPresent(p -> {
        out().println("password: " + p);
        err().println("the password is shown this once; pass it on safely");
      });
      return Main.OK;
    }
  }

  @Command(name = "show", description = "Show one user: role, permissions, status.", footer = {"", "Example:", "  fedgrid user show ana"})
  static final class Show extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The user's login name.")
    String name;

    @Option(names = "--json", description = "Print the API's JSON instead of text. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      User u = client.user(name);
      if (json) {
        printJson(u);
        return Main.OK;
      }
      out().println(u.name() + " (" + u.id() + ")");
      SessionCommands.describe(out(), u);
      return Main.OK;
    }
  }

  @Command(
      name = "update",
      description = {"Change a user's role, enable a disabled user, or set a new password. Your own password needs",
        "--current-password; an administrator sets anyone's without it. Passwords are asked at the terminal",
        "without echo, or read from standard input with --password-stdin (the current one first when asked for)."},
      footer = {"", "Example:", "  fedgrid user update ana --role compliance-officer",
        "  fedgrid user update ana --new-password --current-password",
        "  printf '%%s\\n%%s\\n' \"$OLD\" \"$NEW\" | fedgrid user update ana --current-password --password-stdin"})
  static final class Update extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The user's login name.")
    String name;

    @Option(names = "--role", paramLabel = "ROLE", description = "The new role. Default: unchanged.")
    String role;

    @Option(names = "--enable", description = "Let a disabled user in again. Default: unchanged.")
    boolean enable;

    @Option(names = "--new-password", description = "Set a new password, asked at the terminal (twice). Default: unchanged.")
    boolean newPassword;

    @Option(names = "--password-stdin", description = "Set a new password read from standard input. Default: unchanged.")
    boolean passwordStdin;

    @Option(names = "--current-password", description = "Also give the current password (needed to change your own). Default: not given.")
    boolean currentPassword;

    @Option(names = "--json", description = "Print the API's JSON instead of text. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      if (newPassword && passwordStdin) throw new ParameterException(spec.commandLine(), "give --new-password or --password-stdin, not both");
      boolean password = newPassword || passwordStdin;
      if (currentPassword && !password) throw new ParameterException(spec.commandLine(), "--current-password goes with --new-password or --password-stdin");
      if (role == null && !enable && !password) throw new ParameterException(spec.commandLine(), "nothing to change: give --role, --enable or a new password");
      String current = null;
      String next = null;
      if (passwordStdin) {
        List<String> lines = Secrets.fromStdin(spec, currentPassword ? 2 : 1, currentPassword ? "the current and the new password" : "the new password");
        current = currentPassword ? lines.get(0) : null;
        next = lines.getLast();
      } else if (newPassword) {
        current = currentPassword ? Secrets.ask(spec, "current password of " + name + ": ", false) : null;
        next = Secrets.ask(spec, "new password of " + name + ": ", true);
      }
      User u = client.updateUser(name, new UserUpdate(role, enable ? Boolean.FALSE : null, next, current));
      if (json) {
        printJson(u);
        return Main.OK;
      }
      out().println("updated user " + u.name() + ": role " + u.role() + ", " + (u.disabled() ? "disabled" : "active") + (next != null ? ", new password set" : ""));
      return Main.OK;
    }
  }

  @Command(name = "disable", description = "Disable a user: their tokens and sessions stop working at once; `user update NAME --enable` undoes it.",
      footer = {"", "Example:", "  fedgrid user disable ana"})
  static final class Disable extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The user's login name.")
    String name;

    @Override
    int call(FedGridClient client) {
      User u = client.updateUser(name, UserUpdate.disabled(true));
      out().println("disabled user " + u.name());
      return Main.OK;
    }
  }

  @Command(
      name = "passwd",
      description = {"Change your own password: asks for the current one and the new one (twice) at the terminal, or",
        "reads both from standard input with --password-stdin (current first). Passwords have at least 12 characters."},
      footer = {"", "Example:", "  fedgrid user passwd", "  printf '%%s\\n%%s\\n' \"$OLD\" \"$NEW\" | fedgrid user passwd --password-stdin"})
  static final class Passwd extends ClientCommand {
    @Option(names = "--password-stdin", description = "Read the current and the new password from standard input, one per line. Default: asked at the terminal.")
    boolean passwordStdin;

    @Override
    int call(FedGridClient client) {
      String name = client.me().name();
      String current;
      String next;
      if (passwordStdin) {
        List<String> lines = Secrets.fromStdin(spec, 2, "the current and the new password");
        current = lines.get(0);
        next = lines.get(1);
      } else {
        current = Secrets.ask(spec, "current password of " + name + ": ", false);
        next = Secrets.ask(spec, "new password: ", true);
      }
      client.updateUser(name, UserUpdate.changeOwnPassword(current, next));
      out().println("changed the password of " + name);
      return Main.OK;
    }
  }
}
