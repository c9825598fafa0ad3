package dev.fedgrid.cli;

import dev.fedgrid.api.TokenId;
import dev.fedgrid.client.ApiToken;
import dev.fedgrid.client.FedGridClient;
import dev.fedgrid.client.IssuedToken;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fedgrid token list|create|revoke}: your personal API tokens, for scripts and the SDK. */
@Command(
    name = "token",
    description = {"List, create and revoke your personal API tokens. A token stands for you in scripts and the SDK",
      "(FEDGRID_TOKEN, --token); its secret is shown once, when created, and stored by the gateway only as a hash."},
    subcommands = {TokenCommand.ListTokens.class, TokenCommand.Create.class, TokenCommand.Revoke.class},
    footer = {"", "Example:", "  export FEDGRID_TOKEN=$(fedgrid token create ci --expires-in-days 30)", "  fedgrid token list"})
public final class TokenCommand implements Runnable {
  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing a subcommand: list, create or revoke");
  }

  @Command(name = "list", description = "List your tokens (login sessions are named 'login'); never their secrets.",
      footer = {"", "Example:", "  fedgrid token list --json"})
  static final class ListTokens extends ClientCommand {
    @Option(names = "--json", description = "Print the API's JSON instead of a table. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      List<ApiToken> tokens = client.tokens();
      if (json) {
        printJson(Map.of("items", tokens));
        return Main.OK;
      }
      Instant now = Instant.now();
      var table = new Table("ID", "NAME", "STATUS", "CREATED", "EXPIRES", "LAST USED");
      for (ApiToken t : tokens) {
        String status = t.revoked() ? "revoked" : t.expiresAt() != null && !t.expiresAt().isAfter(now) ? "expired" : "active";
        table.row(t.id().value(), t.name(), status, Format.instant(t.createdAt()), Format.instant(t.expiresAt()), Format.instant(t.lastUsedAt()));
      }
      table.print(out());
      return Main.OK;
    }
  }

  @Command(name = "create", description = {"Create a token and print its secret on stdout, this once: store it now (for example in a",
      "secret manager); the gateway keeps only its hash."},
      footer = {"", "Example:", "  fedgrid token create laptop-sdk --expires-in-days 30"})
  static final class Create extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "What the token is for.")
    String name;

    @Option(names = "--expires-in-days", paramLabel = "DAYS", defaultValue = "90", description = "Days until it expires, 1 to 365. Default: ${DEFAULT-VALUE}.")
    int expiresInDays;

    @Option(names = "--json", description = "Print the API's JSON (secret and description) instead of the secret alone. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      if (expiresInDays < 1 || expiresInDays > 365) throw new ParameterException(spec.commandLine(), "--expires-in-days must be in [1, 365], got " + expiresInDays);
      IssuedToken issued = client.createToken(name, expiresInDays);
      if (json) {
        printJson(Map.of("token", issued.token(), "info", issued.info()));
        return Main.OK;
      }
      out().println(issued.token());
      err().println("token " + issued.info().id() + " '" + issued.info().name() + "' expires " + Format.instant(issued.info().expiresAt())
          + "; its secret (above) is shown this once");
      return Main.OK;
    }
  }

  @Command(name = "revoke", description = "Revoke one of your tokens; it stops working at once.",
      footer = {"", "Example:", "  fedgrid token revoke tok_01jd3v6q9e8r4k2m7n5p0s1t2w"})
  static final class Revoke extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The token's id, from `fedgrid token list`.")
    String id;

    @Override
    int call(FedGridClient client) {
      client.revokeToken(TokenId.of(id));
      out().println("revoked token " + id);
      return Main.OK;
    }
  }
}
