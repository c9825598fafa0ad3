package dev.fedgrid.cli;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.node.NodeInfo;
import dev.fedgrid.client.FedGridClient;
import dev.fedgrid.node.DatasetOption;
import dev.fedgrid.node.NodeConfig;
import dev.fedgrid.node.NodeDaemon;
import dev.fedgrid.security.TlsMaterial;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fedgrid node start|list|join-token}: run a node at a data owner, list the gateway's nodes, or issue join tokens. */
@Command(
    name = "node",
    description = {"Run a node that serves local datasets to the grid (rows never leave it), list the nodes a gateway knows,",
      "or issue the single-use join tokens new nodes enrol with."},
    subcommands = {NodeCommand.Start.class, NodeCommand.ListNodes.class, JoinTokenCommand.class},
    footer = {"", "Example:",
      "  fedgrid node join-token create --name hospital-a",
      "  fedgrid node start --gateway 127.0.0.1:7601 --tls-dir ~/.fedgrid/pki/node/hospital-a --join-token fgj_... \\",
      "      --dataset name=cancer,path=data/breast_cancer_wisconsin.csv,label=benign",
      "  fedgrid node list"})
public final class NodeCommand implements Runnable {
  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing a subcommand: start, list or join-token");
  }

  @Command(
      name = "start",
      description = {
        "Start a node: load the datasets, register their metadata (shape, row counts, column means and",
        "standard deviations, class counts; never a row) with the gateway, then pull and run training tasks",
        "until Ctrl-C (or SIGTERM) stops it cleanly. A new node enrols with a single-use join token from an",
        "administrator (--join-token); it keeps the id it gets in --data-dir, so restarts need no token. It dials the",
        "gateway over mutual TLS with its certificate from the project CA (--tls-dir); plaintext only with --insecure."
      },
      footer = {"", "Dataset option keys: name, path, label, test (held-out fraction, default 0.2), tags (comma-separated),",
        "visibility (public|private, default private), format (csv|idx, default from the path), ignore (columns, ';'-separated), seed,",
        "kind (categorical|continuous: the CSV label's kind; give it when a node's rows may lack some classes).",
        "", "Example:",
        "  export FEDGRID_JOIN_TOKEN=fgj_...        # from 'fedgrid node join-token create --name hospital-a'",
        "  fedgrid node start --gateway 127.0.0.1:7601 --tls-dir ~/.fedgrid/pki/node/hospital-a \\",
        "      --dataset name=cancer,path=data/breast_cancer_wisconsin.csv,label=benign,test=0.2,tags=health,oncology",
        "  fedgrid node start --gateway gw.example.org:7601 --data-dir /var/lib/fedgrid-node --dataset name=cancer,...   # TLS in <data-dir>/tls",
        "", "Prints 'node ready: <node id> serving <n> dataset(s)' on stdout once registered."})
  static final class Start implements Callable<Integer> {
    @Mixin HelpOption help;

    @Spec CommandSpec spec;

    @Option(names = "--gateway", paramLabel = "HOST:PORT", defaultValue = "${env:FEDGRID_FLEET:-127.0.0.1:7601}",
        description = "The gateway's fleet API. Env FEDGRID_FLEET. Default: ${DEFAULT-VALUE}")
    String gateway;

    @Option(names = "--dataset", paramLabel = "OPTIONS", required = true,
        description = "Required, repeatable: a local dataset to serve, as name=...,path=...,label=...[,test=0.2][,tags=a,b][,visibility=private].")
    List<String> datasets;

    @Option(names = "--name", description = "A name for this node shown to users; with mutual TLS it must be the certificate's name. Default: the certificate's name with --tls-dir, else the host name.")
    String name;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:FEDGRID_NODE_DATA_DIR:-${sys:user.home}/.fedgrid/node}",
        description = "Where the node keeps its identity. Env FEDGRID_NODE_DATA_DIR. Default: ${DEFAULT-VALUE}")
    Path dataDir;

    @Option(names = "--max-tasks", defaultValue = "1", description = "Tasks trained at once. Default: ${DEFAULT-VALUE}")
    int maxTasks;

    @Option(names = "--tls-dir", paramLabel = "DIR", defaultValue = "${env:FEDGRID_NODE_TLS_DIR}",
        description = {"Dial the gateway over mutual TLS with the node certificate, key, project CA and revocation list in DIR",
          "(from 'fedgrid pki issue node NAME'); the gateway's certificate must name the --gateway host.",
          "Env FEDGRID_NODE_TLS_DIR. Default: <data-dir>/tls."})
    Path tlsDir;

    @Option(names = "--insecure",
        description = {"Dial the gateway in plaintext (a gateway started with --insecure): the node token and model parameters",
          "cross the network readable by anyone. For throw-away tests on one machine. Default: false."})
    boolean insecure;

    @Option(names = "--join-token", paramLabel = "TOKEN", defaultValue = "${env:FEDGRID_JOIN_TOKEN}",
        description = {"The single-use join token (fgj_...) a new node enrols with, from 'fedgrid node join-token create'.",
          "Needed only while --data-dir holds no identity the gateway knows; prefer the env variable, which",
          "other users cannot see in the process list. Env FEDGRID_JOIN_TOKEN. Default: none."})
    String joinToken;

    @Override
    public Integer call() throws Exception {
      var options = new ArrayList<DatasetOption>();
      for (String d : datasets) options.add(DatasetOption.parse(d));
      if (insecure && tlsDir != null) throw new ParameterException(spec.commandLine(), "--insecure and --tls-dir exclude each other; leave out one");
      Path tls = insecure ? null : tlsDirectory(tlsDir, dataDir);
      var builder = NodeConfig.builder().gateway(gateway).dataDir(dataDir).datasets(options).maxConcurrentTasks(maxTasks);
      if (name == null && tls != null) {
        name = TlsMaterial.load(tls, java.time.Clock.systemUTC()).commonName(); // with mTLS a node is its certificate
      }
      if (name != null && !name.isEmpty()) builder.nodeName(name);
      if (tls != null) builder.tlsDir(tls);
      if (insecure) {
        var err = FedGridCommand.of(spec).err();
        err.println("WARNING: --insecure: TLS is OFF. This node's token and the model parameters cross the network in plaintext, and it");
        err.println("WARNING: cannot tell the real gateway from an impostor. Never use it beyond a throw-away test on one machine.");
        err.flush();
      }
      builder.joinToken(joinToken);
      NodeConfig config = builder.build();
      var out = FedGridCommand.of(spec).out();
      try (NodeDaemon node = NodeDaemon.start(config)) {
        Runtime.getRuntime().addShutdownHook(new Thread(node::close, "fedgrid-node-shutdown"));
        out.println("node started: serving " + options.size() + " dataset(s), connecting to the gateway at " + gateway);
        out.flush();
        var id = node.awaitRegistration(Duration.ofDays(365));
        out.println("node ready: " + id + " serving " + options.size() + " dataset(s)");
        out.flush();
        node.awaitTermination();
        if (node.failure().isPresent()) throw node.failure().get(); // the gateway stopped enrolling it
      }
      return Main.OK;
    }
  }

  /**
   * {@code --tls-dir}, else {@code <data-dir>/tls}, when it is a directory.
   *
   * @throws InvalidRequestException with code {@code TLS_NOT_CONFIGURED} saying how to get the
   *     material, or to pass {@code --insecure}
   */
  static Path tlsDirectory(Path given, Path dataDir) {
    Path dir = given != null ? given : dataDir.resolve("tls");
    if (Files.isDirectory(dir)) return dir;
    throw new InvalidRequestException(
        "TLS_NOT_CONFIGURED",
        "the node dials the gateway over mutual TLS and found no TLS directory at " + dir.toAbsolutePath()
            + (given != null ? " (--tls-dir)" : " (the default, <data-dir>/tls)")
            + ". Ask whoever runs the project CA for a node certificate ('fedgrid pki issue node NAME') and pass the directory it wrote"
            + " as --tls-dir (or copy it to " + dataDir.toAbsolutePath().resolve("tls") + "). Only to dial a gateway started with --insecure, pass --insecure",
        Map.of("dir", dir.toString()));
  }

  @Command(name = "list", description = "List the nodes the gateway knows, online or not.",
      footer = {"", "Example:", "  fedgrid node list --json"})
  static final class ListNodes extends ClientCommand {
    @Option(names = "--json", description = "Print the API's JSON instead of a table. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      List<NodeInfo> nodes = client.nodes();
      if (json) {
        printJson(nodes);
        return Main.OK;
      }
      var table = new Table("ID", "NAME", "STATUS", "CORES", "MEMORY", "LAST SEEN", "JOB");
      for (NodeInfo n : nodes) {
        table.row(n.id().value(), n.name(), n.status().name().toLowerCase(java.util.Locale.ROOT), String.valueOf(n.cores()),
            n.memoryMib() + " MiB", Format.instant(n.lastSeenAt()), n.currentJob() == null ? "-" : n.currentJob().value());
      }
      table.print(out());
      return Main.OK;
    }
  }
}
