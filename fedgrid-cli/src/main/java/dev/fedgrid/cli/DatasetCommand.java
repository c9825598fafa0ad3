package dev.fedgrid.cli;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.LabelKind;
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

/** {@code fedgrid dataset list|show}: the catalogue of datasets' metadata (never their rows). */
@Command(
    name = "dataset",
    description = "Browse the datasets registered by nodes: their shapes, labels, statistics and tags, never their rows.",
    subcommands = {DatasetCommand.ListDatasets.class, DatasetCommand.Show.class},
    footer = {"", "Example:", "  fedgrid dataset list --tag medical", "  fedgrid dataset show heart"})
public final class DatasetCommand implements Runnable {
  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing a subcommand: list or show");
  }

  @Command(
      name = "list",
      description = "List the datasets in the catalogue, oldest first.",
      footer = {"", "Example:", "  fedgrid dataset list --name heart --json"})
  static final class ListDatasets extends ClientCommand {
    @Option(names = "--name", paramLabel = "NAME", description = "Only datasets with exactly this name. Default: all.")
    String name;

    @Option(names = "--tag", paramLabel = "TAG", description = "Only datasets with this tag. Default: all.")
    String tag;

    @Option(names = "--json", description = "Print the API's JSON instead of a table. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      List<DatasetInfo> datasets = client.datasets(name, tag);
      if (json) {
        printJson(Map.of("items", datasets));
        return Main.OK;
      }
      if (datasets.isEmpty()) {
        err().println("no datasets" + (name != null || tag != null ? " match" : " are registered yet; start a node with `fedgrid node start`"));
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
    List<DatasetInfo> named = client.datasets(name, null);
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
