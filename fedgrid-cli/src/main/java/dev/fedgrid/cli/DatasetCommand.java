package dev.fedgrid.cli;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetGrant;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.DatasetQuery;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.LabelKind;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.node.NodeInfo;
import dev.fedgrid.client.FedGridClient;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fedgrid dataset list|show|visibility|grants|grant|revoke}: the catalogue of datasets'
 * metadata (never their rows), and who may use which dataset.
 */
@Command(
    name = "dataset",
    description = "Browse the datasets registered by nodes (their shapes, labels, statistics and tags, never their rows), and govern who may use them.",
    subcommands = {
      DatasetCommand.ListDatasets.class,
      DatasetCommand.Show.class,
      DatasetCommand.SetVisibility.class,
      DatasetCommand.Grants.class,
      DatasetCommand.Grant.class,
      DatasetCommand.Revoke.class
    },
    footer = {"", "Example:", "  fedgrid dataset list --tag medical", "  fedgrid dataset show heart", "  fedgrid dataset grant ds_01jd3v6q9e8r4k2m7n5p0s1t2w ana --process"})
public final class DatasetCommand implements Runnable {
  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing a subcommand: list, show, visibility, grants, grant or revoke");
  }

  @Command(
      name = "list",
      description = "List or search the datasets in the catalogue, oldest first: by text, name, tag, schema column and visibility.",
      footer = {"", "Example:", "  fedgrid dataset list --name heart --json", "  fedgrid dataset list --tag medical --column cholesterol",
          "  fedgrid dataset list --query cardio --visibility private"})
  static final class ListDatasets extends ClientCommand {
    @Option(names = {"--query", "-q"}, paramLabel = "TEXT", description = "Only datasets with this text (ignoring case) in their name, a tag or a column name. Default: all.")
    String query;

    @Option(names = "--name", paramLabel = "NAME", description = "Only datasets whose name contains this, ignoring case. Default: all.")
    String name;

    @Option(names = "--tag", paramLabel = "TAG", description = "Only datasets with this tag. Default: all.")
    String tag;

    @Option(names = "--column", paramLabel = "COLUMN", description = "Only datasets with a feature or label column of this name, ignoring case. Default: all.")
    String column;

    @Option(names = "--visibility", paramLabel = "public|private", description = "Only public or only private datasets. Default: all.")
    String visibility;

    @Option(names = "--json", description = "Print the API's JSON instead of a table. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      List<DatasetInfo> datasets = client.datasets(
          DatasetQuery.all().withText(query).withName(name).withTag(tag).withColumn(column).withVisibility(visibility == null ? null : visibility(visibility)));
      if (json) {
        printJson(Map.of("items", datasets));
        return Main.OK;
      }
      if (datasets.isEmpty()) {
        boolean filtered = query != null || name != null || tag != null || column != null || visibility != null;
        err().println("no datasets" + (filtered ? " match" : " are registered yet; start a node with `fedgrid node start`"));
        return Main.OK;
      }
      Map<String, String> nodes = nodeNames(client);
      var table = new Table("ID", "NAME", "NODE", "FEATURES", "LABEL", "TRAIN", "TEST", "VISIBILITY", "TAGS");
      for (DatasetInfo d : datasets) {
        DatasetMetadata m = d.metadata();
        table.row(d.id(), m.name(), nodes.getOrDefault(d.nodeId().value(), d.nodeId().value()), m.featureShape(), label(m.label()),
            m.trainRows(), m.testRows(), m.visibility().name().toLowerCase(Locale.ROOT), String.join(",", m.tags()));
      }
      table.print(out());
      return Main.OK;
    }
  }

  @Command(
      name = "show",
      description = "Show one dataset's metadata and per-column statistics.",
      footer = {"", "Example:", "  fedgrid dataset show heart", "  fedgrid dataset show ds_01jd3v6q9e8r4k2m7n5p0s1t2w --json"})
  static final class Show extends ClientCommand {
    @Parameters(paramLabel = "ID|NAME", description = "A dataset id (ds_...), or a name that only one dataset has.")
    String ref;

    @Option(names = "--json", description = "Print the API's JSON. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      DatasetInfo d = resolve(client, ref);
      if (json) {
        printJson(d);
        return Main.OK;
      }
      DatasetMetadata m = d.metadata();
      String node = nodeNames(client).get(d.nodeId().value());
      var props = new Table("FIELD", "VALUE").withoutHeader();
      props.row("id", d.id());
      props.row("name", m.name());
      props.row("node", node == null ? d.nodeId() : node + " (" + d.nodeId() + ")");
      props.row("format", m.format().name().toLowerCase(Locale.ROOT));
      props.row("features", m.featureShape());
      props.row("label", m.label().column() + ": " + label(m.label())
          + (m.label().classCounts().isEmpty() ? "" : " (rows per class " + m.label().classCounts().stream().map(String::valueOf).collect(Collectors.joining(", ")) + ")"));
      props.row("rows", m.trainRows() + " train, " + m.testRows() + " test");
      props.row("tags", m.tags().isEmpty() ? "-" : String.join(", ", m.tags()));
      props.row("visibility", m.visibility().name().toLowerCase(Locale.ROOT));
      props.row("registered", Format.instant(d.registeredAt()));
      props.print(out());
      if (!m.features().isEmpty()) {
        out().println();
        var columns = new Table("COLUMN", "COUNT", "MEAN", "STDDEV");
        for (ColumnStats c : m.features()) columns.row(c.name(), c.count(), Format.number(c.mean()), Format.number(c.stddev()));
        columns.print(out());
      }
      return Main.OK;
    }
  }

  @Command(
      name = "visibility",
      description = {
        "Make a dataset public (anyone may train on it and take its results) or private (training needs a grant; results leave by grant or release request).",
        "Needs can_upload_data. A node registering the dataset again does not undo it."
      },
      footer = {"", "Example:", "  fedgrid dataset visibility ds_01jd3v6q9e8r4k2m7n5p0s1t2w private"})
  static final class SetVisibility extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID|NAME", description = "A dataset id (ds_...), or a name that only one dataset has.")
    String ref;

    @Parameters(index = "1", paramLabel = "public|private", description = "The new visibility.")
    String visibility;

    @Option(names = "--json", description = "Print the API's JSON. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      DatasetInfo d = client.setDatasetVisibility(resolve(client, ref).id(), visibility(visibility));
      if (json) printJson(d);
      else out().println(d.id() + " (" + d.name() + ") is " + d.metadata().visibility().name().toLowerCase(Locale.ROOT));
      return Main.OK;
    }
  }

  @Command(
      name = "grants",
      description = "List the grants on a dataset (all of them for data owners and compliance officers, else your own).",
      footer = {"", "Example:", "  fedgrid dataset grants ds_01jd3v6q9e8r4k2m7n5p0s1t2w"})
  static final class Grants extends ClientCommand {
    @Parameters(paramLabel = "ID|NAME", description = "A dataset id (ds_...), or a name that only one dataset has.")
    String ref;

    @Option(names = "--json", description = "Print the API's JSON instead of a table. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      List<DatasetGrant> grants = client.datasetGrants(resolve(client, ref).id());
      if (json) {
        printJson(Map.of("items", grants));
        return Main.OK;
      }
      if (grants.isEmpty()) {
        err().println("no grants on " + ref);
        return Main.OK;
      }
      var table = new Table("USER", "PROCESS", "DOWNLOAD RESULTS", "GRANTED BY", "GRANTED");
      for (DatasetGrant g : grants) table.row(g.user(), yesNo(g.process()), yesNo(g.downloadResults()), g.grantedBy(), Format.instant(g.grantedAt()));
      table.print(out());
      return Main.OK;
    }
  }

  @Command(
      name = "grant",
      description = {
        "Give a user exactly these rights on a dataset, replacing what they held.",
        "--process (train and evaluate on it) needs can_upload_data; --download-results (take results out without a release request) needs can_triage_requests.",
        "Nobody grants rights to themselves."
      },
      footer = {"", "Example:", "  fedgrid dataset grant ds_01jd3v6q9e8r4k2m7n5p0s1t2w ana --process", "  fedgrid dataset grant heart ana --process --download-results"})
  static final class Grant extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID|NAME", description = "A dataset id (ds_...), or a name that only one dataset has.")
    String ref;

    @Parameters(index = "1", paramLabel = "USER", description = "The user's login name.")
    String user;

    @Option(names = "--process", description = "May train and evaluate on the dataset. Default: false.")
    boolean process;

    @Option(names = "--download-results", description = "May take results computed on it out without a release request. Default: false.")
    boolean downloadResults;

    @Option(names = "--json", description = "Print the API's JSON. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      if (!process && !downloadResults) {
        throw new ParameterException(spec.commandLine(), "give --process, --download-results or both; to take every right away use `fedgrid dataset revoke`");
      }
      DatasetGrant g = client.grantDataset(resolve(client, ref).id(), user, process, downloadResults);
      if (json) printJson(g);
      else out().println("granted " + g.user() + " " + rights(g) + " on " + g.datasetId());
      return Main.OK;
    }
  }

  @Command(
      name = "revoke",
      description = "Take every right on a dataset away from a user (needs can_upload_data or can_triage_requests).",
      footer = {"", "Example:", "  fedgrid dataset revoke ds_01jd3v6q9e8r4k2m7n5p0s1t2w ana"})
  static final class Revoke extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID|NAME", description = "A dataset id (ds_...), or a name that only one dataset has.")
    String ref;

    @Parameters(index = "1", paramLabel = "USER", description = "The user's login name.")
    String user;

    @Override
    int call(FedGridClient client) {
      DatasetInfo d = resolve(client, ref);
      client.revokeDatasetGrant(d.id(), user);
      out().println("revoked every right of " + user + " on " + d.id());
      return Main.OK;
    }
  }

  static Visibility visibility(String value) {
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "public" -> Visibility.PUBLIC;
      case "private" -> Visibility.PRIVATE;
      default -> throw new InvalidRequestException("INVALID_VISIBILITY", "visibility must be public or private, got '" + value + "'");
    };
  }

  private static String yesNo(boolean b) {
    return b ? "yes" : "no";
  }

  private static String rights(DatasetGrant g) {
    return g.process() && g.downloadResults() ? "process and download-results" : g.process() ? "process" : "download-results";
  }

  /** A dataset by id, or by a name only one dataset has. */
  static DatasetInfo resolve(FedGridClient client, String ref) {
    if (ref.startsWith(DatasetId.PREFIX + "_")) return client.dataset(DatasetId.of(ref));
    List<DatasetInfo> named = named(client, ref);
    if (named.size() > 1) {
      throw new InvalidRequestException(
          "AMBIGUOUS_DATASET",
          named.size() + " datasets are named '" + ref + "' (one per node); show one by id: "
              + named.stream().map(d -> d.id().value()).collect(Collectors.joining(", ")),
          Map.of("name", ref));
    }
    return named.getFirst();
  }

  /** A dataset by id, or the first of the datasets with this name (a job's datasets agree on shape and label). */
  static DatasetInfo resolveAny(FedGridClient client, String ref) {
    if (ref.startsWith(DatasetId.PREFIX + "_")) return client.dataset(DatasetId.of(ref));
    return named(client, ref).getFirst();
  }

  private static List<DatasetInfo> named(FedGridClient client, String name) {
    List<DatasetInfo> named = client.datasets(name, null).stream().filter(d -> d.name().equals(name)).toList();
    if (named.isEmpty()) {
      throw new NotFoundException("DATASET_NOT_FOUND", "no dataset is named '" + name + "'; see `fedgrid dataset list`", Map.of("name", name));
    }
    return named;
  }

  static String label(LabelInfo label) {
    return label.kind() == LabelKind.CONTINUOUS ? "continuous" : label.numClasses() + " classes";
  }

  /** Node id to name; empty when the nodes cannot be listed (the ids are shown instead). */
  static Map<String, String> nodeNames(FedGridClient client) {
    var names = new HashMap<String, String>();
    try {
      for (NodeInfo n : client.nodes()) names.put(n.id().value(), n.name());
    } catch (FedGridException e) {
      // cosmetic only
    }
    return names;
  }
}
