package dev.fedgrid.cli;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.client.FedGridClient;
import dev.fedgrid.client.Role;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fedgrid role list|create|update|delete}: named sets of permissions. */
@Command(
    name = "role",
    description = {"List roles, and create, change or delete custom roles (needs can_edit_roles). The built-in roles",
      "owner, administrator, compliance-officer, data-scientist and data-owner cannot be changed or deleted."},
    subcommands = {RoleCommand.ListRoles.class, RoleCommand.Create.class, RoleCommand.Update.class, RoleCommand.Delete.class},
    footer = {"", "Example:", "  fedgrid role list",
      "  fedgrid role create auditor --permission can_triage_requests --description 'reads requests'"})
public final class RoleCommand implements Runnable {
  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing a subcommand: list, create, update or delete");
  }

  @Command(name = "list", description = "List every role with its permissions.", footer = {"", "Example:", "  fedgrid role list --json"})
  static final class ListRoles extends ClientCommand {
    @Option(names = "--json", description = "Print the API's JSON instead of a table. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      List<Role> roles = client.roles();
      if (json) {
        printJson(Map.of("items", roles));
        return Main.OK;
      }
      var table = new Table("NAME", "KIND", "PERMISSIONS", "DESCRIPTION");
      for (Role r : roles) table.row(r.name(), r.builtin() ? "built-in" : "custom", SessionCommands.permissions(r.permissions()), r.description());
      table.print(out());
      return Main.OK;
    }
  }

  /** The permissions of repeated or comma-separated --permission values; the can_ prefix may be left out. */
  static Set<Permission> permissions(CommandSpec spec, List<String> values) {
    var set = EnumSet.noneOf(Permission.class);
    for (String value : values) {
      for (String p : value.split(",")) {
        String name = p.strip().toLowerCase(Locale.ROOT).replace('-', '_');
        if (name.isEmpty()) continue;
        try {
          set.add(Permission.of(name.startsWith("can_") ? name : "can_" + name));
        } catch (InvalidRequestException e) {
          throw new ParameterException(spec.commandLine(), "--permission: unknown permission '" + p.strip() + "'; the permissions are "
              + String.join(", ", EnumSet.allOf(Permission.class).stream().map(Permission::wireName).toList()));
        }
      }
    }
    return set;
  }

  private static final String PERMISSION_HELP = "repeatable or comma-separated, such as can_make_data_requests (the can_ prefix may be left out).";

  @Command(name = "create", description = "Create a custom role.",
      footer = {"", "Example:", "  fedgrid role create reviewer --permission can_triage_requests,can_manage_privacy_budget --description 'reviews releases'"})
  static final class Create extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The role's name.")
    String name;

    @Option(names = "--permission", paramLabel = "PERMISSION", description = "The role's permissions, " + PERMISSION_HELP + " Default: none.")
    List<String> permissions = List.of();

    @Option(names = "--description", paramLabel = "TEXT", description = "What the role is for. Default: empty.")
    String description = "";

    @Option(names = "--json", description = "Print the API's JSON instead of text. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      Role role = client.createRole(name, description, RoleCommand.permissions(spec, permissions));
      if (json) printJson(role);
      else out().println("created role " + role.name() + ": " + SessionCommands.permissions(role.permissions()));
      return Main.OK;
    }
  }

  @Command(name = "update", description = "Change a custom role's permissions or description; what is not given stays.",
      footer = {"", "Example:", "  fedgrid role update reviewer --permission can_triage_requests"})
  static final class Update extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The role's name.")
    String name;

    @Option(names = "--permission", paramLabel = "PERMISSION", description = "The role's new permissions (replacing the old), " + PERMISSION_HELP + " Default: unchanged.")
    List<String> permissions;

    @Option(names = "--description", paramLabel = "TEXT", description = "The new description. Default: unchanged.")
    String description;

    @Option(names = "--json", description = "Print the API's JSON instead of text. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      if (permissions == null && description == null) throw new ParameterException(spec.commandLine(), "nothing to change: give --permission or --description");
      Role current = client.roles().stream().filter(r -> r.name().equals(name)).findFirst()
          .orElseThrow(() -> new NotFoundException("ROLE_NOT_FOUND", "no role is named '" + name + "'; see `fedgrid role list`", Map.of("role", name)));
      Role role = client.updateRole(name, description != null ? description : current.description(),
          permissions != null ? RoleCommand.permissions(spec, permissions) : current.permissions());
      if (json) printJson(role);
      else out().println("updated role " + role.name() + ": " + SessionCommands.permissions(role.permissions()));
      return Main.OK;
    }
  }

  @Command(name = "delete", description = "Delete a custom role that no user has.", footer = {"", "Example:", "  fedgrid role delete reviewer"})
  static final class Delete extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The role's name.")
    String name;

    @Override
    int call(FedGridClient client) {
      client.deleteRole(name);
      out().println("deleted role " + name);
      return Main.OK;
    }
  }
}
