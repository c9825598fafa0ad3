package dev.fedgrid.cli;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.governance.BudgetRequest;
import dev.fedgrid.api.governance.ReleaseRequest;
import dev.fedgrid.api.governance.ReleaseReview;
import dev.fedgrid.api.governance.RequestId;
import dev.fedgrid.api.governance.RequestState;
import dev.fedgrid.client.FedGridClient;
import java.util.LinkedHashMap;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fedgrid request list|show|create|approve|deny}: release requests (results of jobs on private
 * data) and budget requests, for those who file them and the officers who decide them.
 */
@Command(
    name = "request",
    description = "Release requests (results of jobs on private data) and budget requests: file, list, review, approve, deny.",
    subcommands = {RequestCommand.ListRequests.class, RequestCommand.Show.class, RequestCommand.Create.class, RequestCommand.Approve.class, RequestCommand.Deny.class},
    footer = {
      "", "Example:", "  fedgrid request list --state pending", "  fedgrid request show req_01jd3v6q9e8r4k2m7n5p0s1t2w",
      "  fedgrid request approve req_01jd3v6q9e8r4k2m7n5p0s1t2w --comment \"aggregate model only\""})
public final class RequestCommand implements Runnable {
  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing a subcommand: list, show, create, approve or deny");
  }

  @Command(
      name = "list",
      description = "List release and budget requests, newest first: your own, or everyone's for an officer.",
      footer = {"", "Example:", "  fedgrid request list --state pending", "  fedgrid request list --json"})
  static final class ListRequests extends ClientCommand {
    @Option(names = "--state", paramLabel = "STATE", description = "Only pending, approved or denied requests. Default: all.")
    String state;

    @Option(names = "--json", description = "Print the API's JSON instead of tables. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      RequestState s = state == null ? null : RequestState.of(state);
      List<ReleaseRequest> releases = client.releaseRequests(s);
      List<BudgetRequest> budgets = client.budgetRequests(s);
      if (json) {
        var body = new LinkedHashMap<String, Object>();
        body.put("releaseRequests", releases);
        body.put("budgetRequests", budgets);
        printJson(body);
        return Main.OK;
      }
      if (releases.isEmpty() && budgets.isEmpty()) {
        err().println("no requests" + (state == null ? "" : " are " + state));
        return Main.OK;
      }
      var table = new Table("ID", "KIND", "BY", "ABOUT", "STATE", "FILED", "REASON");
      for (ReleaseRequest r : releases) table.row(r.id(), "release", r.requester(), r.job(), r.state().wireName(), Format.instant(r.createdAt()), r.reason());
      for (BudgetRequest r : budgets) {
        table.row(r.id(), "budget", r.user(), "ε +" + Format.number(r.epsilon()) + " on " + r.dataset(), r.state().wireName(), Format.instant(r.createdAt()), r.reason());
      }
      table.print(out());
      return Main.OK;
    }
  }

  @Command(
      name = "show",
      description = "Show a request; for a release request, everything needed to decide it: the job, its datasets, ε spent, metrics, and the requester's history.",
      footer = {"", "Example:", "  fedgrid request show req_01jd3v6q9e8r4k2m7n5p0s1t2w", "  fedgrid request show req_01jd3v6q9e8r4k2m7n5p0s1t2w --json"})
  static final class Show extends ClientCommand {
    @Parameters(paramLabel = "REQUEST", description = "A request id (req_...).")
    String id;

    @Option(names = "--json", description = "Print the API's JSON. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      RequestId rid = RequestId.of(id);
      ReleaseReview review;
      try {
        review = client.releaseReview(rid);
      } catch (NotFoundException | PermissionDeniedException notRelease) {
        BudgetRequest b; // not a release request (or not one this caller may see): a budget request, or not found
        try {
          b = client.budgetRequest(rid);
        } catch (NotFoundException noBudget) {
          throw notRelease;
        }
        if (json) printJson(b);
        else printBudgetRequest(b);
        return Main.OK;
      }
      if (json) {
        printJson(review);
        return Main.OK;
      }
      ReleaseRequest r = review.request();
      var props = new Table("FIELD", "VALUE").withoutHeader();
      props.row("request", r.id() + " (release, " + r.state().wireName() + ")");
      props.row("requester", r.requester());
      props.row("reason", r.reason());
      props.row("filed", Format.instant(r.createdAt()));
      if (r.decidedBy() != null) props.row("decided", r.state().wireName() + " by " + r.decidedBy() + " at " + Format.instant(r.decidedAt()) + (r.comment() == null ? "" : ": " + r.comment()));
      props.row("job", review.job().id() + " '" + review.job().spec().name() + "' (" + review.job().state().wireName() + ", " + review.job().completedRounds() + "/" + review.job().spec().rounds() + " rounds)");
      props.row("privacy", review.differentialPrivacy() ? "DP-FedAvg, noise " + review.job().spec().privacy().noiseMultiplier() + ", δ " + review.job().spec().privacy().delta() : "none (ε unbounded)");
      props.row("metrics", review.job().metrics().isEmpty() ? "-" : review.job().metrics().toString());
      props.print(out());
      out().println();
      var datasets = new Table("DATASET", "NAME", "NODE", "VISIBILITY", "ε SPENT");
      for (var d : review.datasets()) datasets.row(d.id(), d.name(), d.node(), d.visibility().name().toLowerCase(java.util.Locale.ROOT), d.epsilonSpent() == null ? "-" : Format.number(d.epsilonSpent()));
      datasets.print(out());
      if (!review.budgets().isEmpty()) {
        out().println();
        BudgetCommand.table(review.budgets()).print(out());
      }
      out().println();
      if (review.history().isEmpty()) {
        out().println("no earlier release requests by " + r.requester());
      } else {
        var history = new Table("EARLIER", "JOB", "STATE", "BY", "COMMENT");
        for (ReleaseRequest h : review.history()) history.row(h.id(), h.job(), h.state().wireName(), h.decidedBy() == null ? "-" : h.decidedBy(), h.comment() == null ? "-" : h.comment());
        history.print(out());
      }
      return Main.OK;
    }

    private void printBudgetRequest(BudgetRequest b) {
      var props = new Table("FIELD", "VALUE").withoutHeader();
      props.row("request", b.id() + " (budget, " + b.state().wireName() + ")");
      props.row("user", b.user());
      props.row("asks", "ε +" + Format.number(b.epsilon()) + " on " + b.dataset());
      props.row("reason", b.reason());
      props.row("filed", Format.instant(b.createdAt()));
      if (b.decidedBy() != null) props.row("decided", b.state().wireName() + " by " + b.decidedBy() + (b.comment() == null ? "" : ": " + b.comment()));
      props.print(out());
    }
  }

  @Command(
      name = "create",
      description = "Ask for the release of a finished job's held results (model, detailed metrics); same as `fedgrid job release`.",
      footer = {"", "Example:", "  fedgrid request create job_01jd3v6q9e8r4k2m7n5p0s1t2w --reason \"for the paper's appendix\""})
  static class Create extends ClientCommand {
    @Parameters(paramLabel = "JOB", description = "The job id (job_...); it must be yours and finished.")
    String job;

    @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "Why the results should leave. Required.")
    String reason;

    @Option(names = "--json", description = "Print the API's JSON. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      ReleaseRequest r = client.requestRelease(JobId.of(job), reason);
      if (json) printJson(r);
      else out().println("filed release request " + r.id() + " for job " + r.job() + "; a compliance officer decides it (`fedgrid request show " + r.id() + "`)");
      return Main.OK;
    }
  }

  /** {@code fedgrid job release JOB --reason ...}. */
  @Command(
      name = "release",
      description = "Ask for the release of a finished job's held results (model, detailed metrics).",
      footer = {"", "Example:", "  fedgrid job release job_01jd3v6q9e8r4k2m7n5p0s1t2w --reason \"for the paper's appendix\""})
  static final class JobRelease extends Create {}

  @Command(
      name = "approve",
      description = "Approve a release or budget request (an officer; not your own). A budget request raises the budget by its epsilon.",
      footer = {"", "Example:", "  fedgrid request approve req_01jd3v6q9e8r4k2m7n5p0s1t2w --comment \"aggregate model only\""})
  static final class Approve extends ClientCommand {
    @Parameters(paramLabel = "REQUEST", description = "A request id (req_...).")
    String id;

    @Option(names = "--comment", paramLabel = "TEXT", description = "Why, for the record. Default: none.")
    String comment;

    @Option(names = "--json", description = "Print the API's JSON. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      return decide(this, client, id, comment, json, true);
    }
  }

  @Command(
      name = "deny",
      description = "Deny a release or budget request with a comment (an officer; not your own). Denials are final; a new request can be filed.",
      footer = {"", "Example:", "  fedgrid request deny req_01jd3v6q9e8r4k2m7n5p0s1t2w --comment \"per-site metrics would identify a hospital\""})
  static final class Deny extends ClientCommand {
    @Parameters(paramLabel = "REQUEST", description = "A request id (req_...).")
    String id;

    @Option(names = "--comment", required = true, paramLabel = "TEXT", description = "Why. Required.")
    String comment;

    @Option(names = "--json", description = "Print the API's JSON. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      return decide(this, client, id, comment, json, false);
    }
  }

  /** Decides a release request, or a budget request when no release request has that id. */
  private static int decide(ClientCommand command, FedGridClient client, String id, String comment, boolean json, boolean approve) {
    RequestId rid = RequestId.of(id);
    Object decided;
    String kind;
    try {
      decided = approve ? client.approveRelease(rid, comment) : client.denyRelease(rid, comment);
      kind = "release";
    } catch (NotFoundException | PermissionDeniedException notRelease) {
      // Release and budget requests share one id space; a budget officer may not see release requests.
      try {
        decided = approve ? client.approveBudgetRequest(rid, comment) : client.denyBudgetRequest(rid, comment);
      } catch (NotFoundException noBudget) {
        throw notRelease; // the first answer says more: it names the release request or the missing permission
      }
      kind = "budget";
    }
    if (json) command.printJson(decided);
    else command.out().println(kind + " request " + rid + " " + (approve ? "approved" : "denied"));
    return Main.OK;
  }
}
