package dev.fedgrid.cli;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.governance.AuditEvent;
import dev.fedgrid.api.governance.AuditVerification;
import dev.fedgrid.client.AuditFilter;
import dev.fedgrid.client.AuditPage;
import dev.fedgrid.client.FedGridClient;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.state.SqlDatabase;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code fedgrid audit list|follow|verify}: the gateway's hash-chained audit ledger. Reading it
 * needs {@code can_triage_requests} or {@code can_manage_users}; {@code verify --data-dir} reads a
 * gateway's database file directly, needing neither a gateway nor a token.
 */
@Command(
    name = "audit",
    description = "Read, follow and verify the audit ledger: every change that matters, hash-chained so that edits, removals and reordering show.",
    subcommands = {AuditCommand.ListEvents.class, AuditCommand.Follow.class, AuditCommand.Verify.class},
    footer = {"", "Example:", "  fedgrid audit list --action grant. --since 2026-11-01T00:00:00Z", "  fedgrid audit follow", "  fedgrid audit verify",
        "  fedgrid audit verify --data-dir ~/.fedgrid/gateway"})
public final class AuditCommand implements Runnable {
  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing a subcommand: list, follow or verify");
  }

  /** The filters shared by list and follow. */
  static final class Filters {
    @Option(names = "--actor", paramLabel = "USER", description = "Only events by this actor (a user name, node:<id> or system). Default: any.")
    String actor;

    @Option(names = "--action", paramLabel = "ACTION", description = "Only this action, or every action starting with it when it ends with a dot (grant.). Default: any.")
    String action;

    @Option(names = "--target", paramLabel = "ID", description = "Only events about this id (a job, dataset, user, request...). Default: any.")
    String target;

    @Option(names = "--since", paramLabel = "TIME", description = "Only events at or after this RFC 3339 time, such as 2026-11-03T12:00:00Z. Default: from the first event.")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "Only events before this RFC 3339 time; `follow` stops once it has passed. Default: no end.")
    String until;

    @Option(names = "--after", paramLabel = "SEQ", defaultValue = "0", description = "Only events after this sequence number. Default: ${DEFAULT-VALUE}.")
    long after;

    AuditFilter filter() {
      return AuditFilter.all().withActor(actor).withAction(action).withTarget(target).withSince(time("--since", since)).withUntil(time("--until", until))
          .withAfter(after);
    }

    private static Instant time(String option, String value) {
      if (value == null || value.isBlank()) return null;
      try {
        return Instant.parse(value.strip());
      } catch (DateTimeParseException e) {
        throw new InvalidRequestException("INVALID_TIME", option + " must be an RFC 3339 UTC time such as 2026-11-03T12:00:00Z, got '" + value + "'");
      }
    }
  }

  @Command(
      name = "list",
      description = "List audit events, oldest first.",
      footer = {"", "Example:", "  fedgrid audit list --actor ana --limit 20", "  fedgrid audit list --action release. --all --json"})
  static final class ListEvents extends ClientCommand {
    @Mixin Filters filters;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "At most this many events, 1 to 1000. Default: ${DEFAULT-VALUE}.")
    int limit;

    @Option(names = "--all", description = "Every matching event, fetching page after page. Default: false.")
    boolean all;

    @Option(names = "--json", description = "Print the API's JSON instead of a table. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      AuditFilter filter = filters.filter().withLimit(limit);
      var events = new ArrayList<AuditEvent>();
      AuditPage page = client.auditEvents(filter);
      events.addAll(page.items());
      while (all && page.hasNext()) {
        page = client.auditEvents(filter.withAfter(page.nextAfter()));
        events.addAll(page.items());
      }
      if (json) {
        var body = new LinkedHashMap<String, Object>();
        body.put("items", events);
        if (page.hasNext()) body.put("nextAfter", page.nextAfter());
        printJson(body);
        return Main.OK;
      }
      if (events.isEmpty()) {
        err().println("no audit events match");
        return Main.OK;
      }
      var table = new Table("SEQ", "AT", "ACTOR", "ACTION", "TARGET", "DETAILS");
      for (AuditEvent e : events) table.row(e.seq(), Format.instant(e.at()), e.actor(), e.action(), e.target().isEmpty() ? "-" : e.target(), details(e));
      table.print(out());
      if (page.hasNext()) err().println("more events match: add --after " + page.nextAfter() + " for the next page, or --all");
      return Main.OK;
    }
  }

  @Command(
      name = "follow",
      description = "Print audit events as they are written, until Ctrl-C (or --until).",
      footer = {"", "Example:", "  fedgrid audit follow --action login.", "  fedgrid audit follow --after 1200 --json"})
  static final class Follow extends ClientCommand {
    @Mixin Filters filters;

    @Option(names = "--json", description = "Print each event as one line of JSON. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      PrintStream out = out();
      client.followAudit(filters.filter(), e -> {
        out.println(json ? CliJson.line(e) : line(e));
        out.flush();
      });
      return Main.OK;
    }
  }

  @Command(
      name = "verify",
      description = {
        "Check the audit ledger's hash chain: every edited, removed, reordered or added event shows. Exit code 0 when intact, 1 when broken.",
        "With --data-dir it reads the gateway's database file directly (read-only; the gateway may be stopped), needing no gateway or token."
      },
      footer = {"", "Example:", "  fedgrid audit verify", "  fedgrid audit verify --expected-head 3f9a...  (a head hash kept from an earlier run)",
          "  fedgrid audit verify --data-dir /var/lib/fedgrid --json"})
  static final class Verify extends ClientCommand {
    @Option(names = "--data-dir", paramLabel = "DIR", description = "Verify the gateway.db in this gateway data directory offline instead of asking a gateway. Default: ask the gateway.")
    Path dataDir;

    @Option(names = "--expected-head", paramLabel = "HASH", description = "A head hash kept from an earlier verification: it must still be in the ledger. Default: none.")
    String expectedHead;

    @Option(names = "--json", description = "Print the verification as JSON. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      AuditVerification v = dataDir == null ? client.verifyAudit(expectedHead) : offline(dataDir, expectedHead);
      if (json) {
        printJson(v);
      } else if (v.intact()) {
        out().println("intact: " + v.verified() + " events; head hash " + v.headHash());
      } else {
        out().println("BROKEN at event " + v.brokenAt() + " (" + v.problem() + "): " + v.message());
        out().println(v.verified() + " events before it verified");
      }
      return v.intact() ? Main.OK : Main.FAILURE;
    }

    /** Verifies {@code dir/gateway.db} (or {@code dir} itself when it is a file) read-only. */
    static AuditVerification offline(Path dir, String expectedHead) {
      Path file = Files.isRegularFile(dir) ? dir : dir.resolve("gateway.db");
      try (SqlDatabase db = SqlDatabase.sqliteReadOnly(file)) {
        return new AuditLog(db, InstantSource.system()).verify(Optional.ofNullable(expectedHead).map(String::strip).filter(h -> !h.isEmpty()));
      }
    }
  }

  static String line(AuditEvent e) {
    return e.seq() + "  " + Format.instant(e.at()) + "  " + e.actor() + "  " + e.action() + (e.target().isEmpty() ? "" : "  " + e.target())
        + (e.details().isEmpty() ? "" : "  " + details(e));
  }

  private static String details(AuditEvent e) {
    if (e.details().isEmpty()) return "-";
    return e.details().entrySet().stream().map(Map.Entry::getKey).map(k -> k + "=" + e.details().get(k)).collect(Collectors.joining(" "));
  }
}
