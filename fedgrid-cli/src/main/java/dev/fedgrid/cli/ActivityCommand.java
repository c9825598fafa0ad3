package dev.fedgrid.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fedgrid.client.ActivityClient;
import dev.fedgrid.client.ActivityClient.Activity;
import dev.fedgrid.client.ActivityClient.Batch;
import dev.fedgrid.client.ActivityClient.Result;
import dev.fedgrid.client.FedGridClient;
import dev.fedgrid.client.Page;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code fedgrid activity}: activities under approved market agreements, over {@link
 * ActivityClient} (docs/market.md, "Activities"). {@code exec} prints each command's result as the
 * node reports it and exits 1 unless every command succeeded.
 */
@Command(
    name = "activity",
    description = "Activities under approved agreements: create, exec a script of commands, show, list, logs, terminate.",
    subcommands = {ActivityCommand.Create.class, ActivityCommand.Exec.class, ActivityCommand.Show.class, ActivityCommand.ListActivities.class,
      ActivityCommand.Logs.class, ActivityCommand.Terminate.class},
    footer = {"", "Example:", "  fedgrid activity create agr_01jd3v6q9e8r4k2m7n5p0s1t2w",
      "  fedgrid activity exec act_01jd3v6q9e8r4k2m7n5p0s1t2w --script script.json", "  fedgrid activity logs act_01jd3v6q9e8r4k2m7n5p0s1t2w"})
final class ActivityCommand extends MarketCommands.Noun {
  /** An activity command: {@code --json} and the activities of the client. */
  abstract static class Verb extends ClientCommand {
    @Option(names = "--json", description = "Print the API's JSON. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) throws Exception {
      Object result = call(client.activities());
      if (json) printJson(result);
      else print(result);
      return Main.OK;
    }

    abstract Object call(ActivityClient activities) throws Exception;

    void print(Object result) {
      List<?> items = result instanceof Page<?> p ? p.items() : List.of(result);
      if (items.isEmpty()) {
        err().println("none");
        return;
      }
      var t = new Table("ACTIVITY", "STATE", "AGREEMENT", "JOB", "NODE", "SCRIPTS", "REASON");
      for (Object o : items) {
        Activity a = (Activity) o;
        t.row(a.id(), a.state(), a.agreement(), a.job(), a.node(), a.batches().size(), a.reason());
      }
      t.print(out());
      if (result instanceof Page<?> p && p.hasNext()) err().println("more: --cursor " + p.nextCursor());
    }
  }

  @Command(name = "create", description = "Create an activity under an APPROVED agreement of one of your jobs (state NEW).",
      footer = {"", "Example:", "  fedgrid activity create agr_01jd3v6q9e8r4k2m7n5p0s1t2w"})
  static final class Create extends Verb {
    @Parameters(paramLabel = "AGREEMENT", description = "The approved agreement (agr_...).")
    String agreement;

    @Override
    Object call(ActivityClient activities) {
      return activities.create(agreement);
    }
  }

  @Command(name = "exec", description = {"Run a script on the activity's node and print each command's result as it arrives.",
      "The script is a JSON list of commands: deploy, start, run, transfer, terminate (docs/market.md, \"Activities\").",
      "Exits 1 unless every command succeeded."},
      footer = {"", "Example:", "  fedgrid activity exec act_01jd3v6q9e8r4k2m7n5p0s1t2w --script script.json", "", "with script.json:",
        "  [{\"deploy\": {\"model\": {\"layers\": [{\"type\": \"dense\", \"units\": 1}], \"loss\": \"binary_cross_entropy\"}, \"dataset\": \"ds_...\"}},",
        "   {\"start\": {}}, {\"run\": {\"kind\": \"fit\", \"epochs\": 2}}, {\"run\": {\"kind\": \"evaluate\"}},",
        "   {\"transfer\": {\"from\": \"activity\", \"to\": \"gateway\"}}, {\"terminate\": {}}]"})
  static final class Exec extends ClientCommand {
    @Parameters(paramLabel = "ACTIVITY", description = "The activity (act_...).")
    String id;

    @Option(names = "--script", required = true, paramLabel = "FILE", description = "The script: a JSON list of commands (or {\"commands\": [...]}). Required.")
    Path script;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "3600", description = "Stop waiting for results after this long. Default: ${DEFAULT-VALUE}.")
    long timeout;

    @Option(names = "--json", description = "Print the finished script with its results as the API's JSON instead. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) throws Exception {
      JsonNode commands = read();
      ActivityClient activities = client.activities();
      Batch queued = activities.exec(id, commands);
      if (!json) err().println("script " + queued.id() + " queued: " + queued.commands().size() + " command(s)");
      Batch done;
      try {
        done = activities.await(id, queued.id(), Duration.ofSeconds(timeout), r -> {
          if (!json) out().println(line(r));
        });
      } catch (TimeoutException e) {
        err().println("error: " + e.getMessage() + "; follow it with `fedgrid activity show " + id + "`");
        return Main.FAILURE;
      }
      if (json) printJson(done);
      if (done.succeeded()) return Main.OK;
      if (!json) err().println("script " + done.id() + " " + done.state() + (done.state().equals("failed") ? " at command " + done.results().getLast().index() : ""));
      return Main.FAILURE;
    }

    private JsonNode read() {
      JsonNode node;
      try {
        node = new ObjectMapper().readTree(Files.readString(script));
      } catch (NoSuchFileException e) {
        throw new ParameterException(spec.commandLine(), "--script: no file " + script);
      } catch (IOException e) {
        throw new ParameterException(spec.commandLine(), "--script: " + script + " is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
      }
      if (node != null && node.isObject() && node.has("commands")) node = node.get("commands");
      if (node == null || !node.isArray()) throw new ParameterException(spec.commandLine(), "--script: " + script + " must hold a JSON list of commands");
      return node;
    }

    /** {@code [2] run ok: fit 455 examples  examples=455 loss=0.1523}. */
    static String line(Result r) {
      var data = new StringBuilder();
      for (var e : new TreeMap<>(r.data() == null ? Map.<String, Object>of() : r.data()).entrySet()) {
        Object v = e.getValue();
        String shown = v instanceof String s && s.length() > 16 ? s.substring(0, 12) + "…" : String.valueOf(v);
        data.append("  ").append(e.getKey()).append('=').append(shown);
      }
      return "[" + r.index() + "] " + r.command() + " " + (r.ok() ? "ok" : "ERROR") + ": " + r.message() + data;
    }
  }

  @Command(name = "show", description = "Show an activity with its scripts.", footer = {"", "Example:", "  fedgrid activity show act_01jd3v6q9e8r4k2m7n5p0s1t2w --json"})
  static final class Show extends Verb {
    @Parameters(paramLabel = "ACTIVITY", description = "The activity (act_...).")
    String id;

    @Override
    Object call(ActivityClient activities) {
      return activities.activity(id);
    }

    @Override
    void print(Object result) {
      super.print(result);
      Activity a = (Activity) result;
      if (a.parameters() != null) out().println("\nparameters held by the gateway: " + a.parameters().size() + " bytes, sha256 " + a.parameters().digest());
      if (a.usage() != null) {
        out().println("usage: " + a.usage().examplesEpochs() + " examples x epochs, " + a.usage().cpuMicros() / 1000 + " ms CPU, " + a.usage().bytes() + " bytes moved");
      }
      if (a.batches().isEmpty()) return;
      var t = new Table("SCRIPT", "STATE", "COMMANDS", "SUBMITTED");
      a.batches().forEach(b -> t.row(b.id(), b.state(), b.commands(), b.submittedAt()));
      out().println();
      t.print(out());
    }
  }

  @Command(name = "list", description = "List activities you may see.", footer = {"", "Example:", "  fedgrid activity list --agreement agr_01jd3v6q9e8r4k2m7n5p0s1t2w"})
  static final class ListActivities extends Verb {
    @Option(names = "--agreement", paramLabel = "AGREEMENT", description = "Only this agreement's activities. Default: all you may see.")
    String agreement;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "At most this many, 1 to 500. Default: ${DEFAULT-VALUE}.")
    int limit;

    @Option(names = "--cursor", paramLabel = "CURSOR", description = "Continue after the previous page (its 'more: --cursor'). Default: the first page.")
    String cursor;

    @Override
    Object call(ActivityClient activities) {
      return activities.activities(agreement, cursor, limit);
    }
  }

  @Command(name = "logs", description = "Print an activity's log: lines from allowed templates with numbers only, never data.",
      footer = {"", "Example:", "  fedgrid activity logs act_01jd3v6q9e8r4k2m7n5p0s1t2w --from 20"})
  static final class Logs extends ClientCommand {
    @Parameters(paramLabel = "ACTIVITY", description = "The activity (act_...).")
    String id;

    @Option(names = "--from", paramLabel = "SEQ", defaultValue = "0", description = "The first line's sequence number. Default: ${DEFAULT-VALUE}.")
    int from;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "500", description = "At most this many lines, 1 to 500. Default: ${DEFAULT-VALUE}.")
    int limit;

    @Option(names = "--json", description = "Print the API's JSON. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      ActivityClient.LogPage page = client.activities().logs(id, from, limit);
      if (json) {
        printJson(page);
        return Main.OK;
      }
      if (page.items().isEmpty()) err().println("no log lines");
      page.items().forEach(l -> out().println(l.at() + " [" + l.seq() + "] " + l.batch() + "#" + l.index() + " " + l.line()));
      if (page.next() != null) err().println("more: --from " + page.next());
      return Main.OK;
    }
  }

  @Command(name = "terminate", description = "Terminate an activity (the requestor); a queued or running script is cancelled.",
      footer = {"", "Example:", "  fedgrid activity terminate act_01jd3v6q9e8r4k2m7n5p0s1t2w --reason \"done\""})
  static final class Terminate extends Verb {
    @Parameters(paramLabel = "ACTIVITY", description = "The activity (act_...).")
    String id;

    @Option(names = "--reason", paramLabel = "TEXT", description = "Why. Default: \"terminated by <you>\".")
    String reason;

    @Override
    Object call(ActivityClient activities) {
      return activities.terminate(id, reason);
    }
  }
}
