package dev.fedgrid.cli;

import dev.fedgrid.api.JoinTokenId;
import dev.fedgrid.api.node.IssuedJoinToken;
import dev.fedgrid.api.node.JoinToken;
import dev.fedgrid.client.FedGridClient;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fedgrid node join-token create|list|revoke}: the single-use tokens new nodes enrol with. */
@Command(
    name = "join-token",
    description = {
      "Issue, list and revoke single-use join tokens: a new node enrols with the gateway by presenting one",
      "('fedgrid node start --join-token'). Needs the permission can_manage_infrastructure."
    },
    subcommands = {JoinTokenCommand.Create.class, JoinTokenCommand.ListTokens.class, JoinTokenCommand.Revoke.class},
    footer = {"", "Example:",
      "  fedgrid node join-token create --name hospital-a",
      "  fedgrid node join-token list",
      "  fedgrid node join-token revoke join_01jd3v6q9e8r4k2m7n5p0s1t2w"})
public final class JoinTokenCommand implements Runnable {
  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing a subcommand: create, list or revoke");
  }

  @Command(
      name = "create",
      description = {
        "Issue a join token. The token is printed once on stdout and the gateway keeps only its hash:",
        "hand it to the node's operator over a safe channel. It enrols one node, then never again."
      },
      footer = {"", "Example:",
        "  fedgrid node join-token create --name hospital-a --expires-in-hours 48",
        "  FEDGRID_JOIN_TOKEN=$(fedgrid node join-token create --name hospital-a --quiet) fedgrid node start --name hospital-a ..."})
  static final class Create extends ClientCommand {
    @Option(names = "--name", paramLabel = "NODE",
        description = "Only a node of this name may enrol with the token. Default: any name.")
    String name;

    @Option(names = "--expires-in-hours", paramLabel = "HOURS", defaultValue = "24",
        description = "How long the token enrols, 1 to 720 hours. Default: ${DEFAULT-VALUE}")
    int hours;

    @Option(names = "--quiet", description = "Print only the token, for scripts. Default: false.")
    boolean quiet;

    @Option(names = "--json", description = "Print the API's JSON (with the token) instead of text. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      IssuedJoinToken issued = client.createJoinToken(name, hours);
      if (json) {
        printJson(issued);
      } else if (quiet) {
        out().println(issued.token());
      } else {
        out().println(issued.token());
        err().println("join token " + issued.id() + " enrols " + (issued.nodeName() == null ? "one node of any name" : "node '" + issued.nodeName() + "'")
            + " until " + Format.instant(issued.expiresAt()) + "; it is shown only now. Start the node with --join-token (or FEDGRID_JOIN_TOKEN).");
      }
      return Main.OK;
    }
  }

  @Command(name = "list", description = "List the join tokens, newest first, with their state (active, used, expired, revoked); never a secret.",
      footer = {"", "Example:", "  fedgrid node join-token list --json"})
  static final class ListTokens extends ClientCommand {
    @Option(names = "--json", description = "Print the API's JSON instead of a table. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      List<JoinToken> tokens = client.joinTokens();
      if (json) {
        printJson(tokens);
        return Main.OK;
      }
      var table = new Table("ID", "NODE NAME", "STATE", "CREATED BY", "EXPIRES", "NODE");
      for (JoinToken t : tokens) {
        table.row(t.id().value(), t.nodeName() == null ? "*" : t.nodeName(), t.state().wireName(), t.createdBy(), Format.instant(t.expiresAt()),
            t.nodeId() == null ? "-" : t.nodeId().value());
      }
      table.print(out());
      return Main.OK;
    }
  }

  @Command(name = "revoke", description = "Revoke an unused join token so that it enrols nothing.",
      footer = {"", "Example:", "  fedgrid node join-token revoke join_01jd3v6q9e8r4k2m7n5p0s1t2w"})
  static final class Revoke extends ClientCommand {
    @Parameters(paramLabel = "ID", description = "The token's id, from 'fedgrid node join-token list' (required).")
    String id;

    @Override
    int call(FedGridClient client) {
      JoinToken t = client.revokeJoinToken(JoinTokenId.of(id));
      out().println("join token " + t.id() + " is " + t.state().wireName());
      return Main.OK;
    }
  }
}
