package dev.fedgrid.cli;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.governance.BudgetRequest;
import dev.fedgrid.api.governance.PrivacyBudget;
import dev.fedgrid.client.FedGridClient;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fedgrid budget set|list|request}: privacy budgets per user per dataset. */
@Command(
    name = "budget",
    description = "Privacy budgets: how much epsilon each user may spend on each private dataset, and requests for more.",
    subcommands = {BudgetCommand.Set.class, BudgetCommand.ListBudgets.class, BudgetCommand.Ask.class},
    footer = {
      "", "Example:", "  fedgrid budget set ana ds_01jd3v6q9e8r4k2m7n5p0s1t2w --epsilon 8 --delta 1e-5", "  fedgrid budget list",
      "  fedgrid budget request ds_01jd3v6q9e8r4k2m7n5p0s1t2w --epsilon 2 --reason \"one more study\""})
public final class BudgetCommand implements Runnable {
  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing a subcommand: set, list or request");
  }

  @Command(
      name = "set",
      description = "Set a user's budget on a dataset (needs can_manage_privacy_budget). Epsilons of a user's jobs on the dataset add up against it.",
      footer = {"", "Example:", "  fedgrid budget set ana ds_01jd3v6q9e8r4k2m7n5p0s1t2w --epsilon 8 --delta 1e-5"})
  static final class Set extends ClientCommand {
    @Parameters(index = "0", paramLabel = "USER", description = "The user's login name.")
    String user;

    @Parameters(index = "1", paramLabel = "DATASET", description = "The dataset id (ds_...).")
    String dataset;

    @Option(names = "--epsilon", required = true, paramLabel = "E", description = "The total epsilon the user may spend on the dataset, at least 0. Required.")
    double epsilon;

    @Option(names = "--delta", paramLabel = "D", description = "The largest delta one job may run at, in [0, 1). Default: ${DEFAULT-VALUE}.", defaultValue = "1e-5")
    double delta;

    @Option(names = "--json", description = "Print the API's JSON. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      PrivacyBudget b = client.setBudget(user, DatasetId.of(dataset), epsilon, delta);
      if (json) printJson(b);
      else table(List.of(b)).print(out());
      return Main.OK;
    }
  }

  @Command(
      name = "list",
      description = "List budgets with what is spent, reserved by queued or running jobs, and remaining: your own, or anyone's for an officer.",
      footer = {"", "Example:", "  fedgrid budget list", "  fedgrid budget list --user ana --json"})
  static final class ListBudgets extends ClientCommand {
    @Option(names = "--user", paramLabel = "USER", description = "Only this user's budgets. Default: yours, or all for an officer.")
    String user;

    @Option(names = "--dataset", paramLabel = "DATASET", description = "Only budgets on this dataset id. Default: all.")
    String dataset;

    @Option(names = "--json", description = "Print the API's JSON instead of a table. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      List<PrivacyBudget> budgets = client.budgets(user, dataset == null ? null : DatasetId.of(dataset));
      if (json) {
        printJson(Map.of("items", budgets));
      } else if (budgets.isEmpty()) {
        err().println("no budgets; a compliance officer sets them with `fedgrid budget set USER DATASET --epsilon E`");
      } else {
        table(budgets).print(out());
      }
      return Main.OK;
    }
  }

  @Command(
      name = "request",
      description = "Ask a compliance officer for more epsilon on a dataset, with a reason.",
      footer = {"", "Example:", "  fedgrid budget request ds_01jd3v6q9e8r4k2m7n5p0s1t2w --epsilon 2 --reason \"a second cohort\""})
  static final class Ask extends ClientCommand {
    @Parameters(paramLabel = "DATASET", description = "The dataset id (ds_...).")
    String dataset;

    @Option(names = "--epsilon", required = true, paramLabel = "E", description = "How much more epsilon, greater than 0. Required.")
    double epsilon;

    @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "Why you need it. Required.")
    String reason;

    @Option(names = "--json", description = "Print the API's JSON. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      BudgetRequest r = client.requestBudget(DatasetId.of(dataset), epsilon, reason);
      if (json) printJson(r);
      else out().println("filed budget request " + r.id() + " for ε " + Format.number(r.epsilon()) + " more on " + r.dataset() + "; see `fedgrid request show " + r.id() + "`");
      return Main.OK;
    }
  }

  static Table table(List<PrivacyBudget> budgets) {
    var table = new Table("USER", "DATASET", "EPSILON", "DELTA", "SPENT", "RESERVED", "REMAINING");
    for (PrivacyBudget b : budgets) {
      table.row(b.user(), b.dataset(), Format.number(b.epsilon()), b.delta(), Format.number(b.spent()), Format.number(b.reserved()), Format.number(b.remaining()));
    }
    return table;
  }
}
