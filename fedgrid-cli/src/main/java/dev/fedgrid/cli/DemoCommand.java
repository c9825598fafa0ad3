package dev.fedgrid.cli;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.governance.ReleaseRequest;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.model.Optimizer;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.client.FedGridClient;
import dev.fedgrid.client.ModelDownload;
import dev.fedgrid.client.ModelPresets;
import dev.fedgrid.client.NewUser;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code fedgrid demo}: the whole story on one machine. A gateway and several hospital nodes run as
 * separate OS processes on loopback; a public data set is split between the hospitals, each of which
 * registers only metadata; two models are trained federated, round by round with live progress; the
 * final test accuracy and the downloaded model's path are printed; everything stops cleanly. With
 * {@code --keep}, the gateway and the nodes keep running afterwards, with the jobs, requests and
 * audit trail the demo made, so that the admin app can be explored; Ctrl-C stops them.
 */
@Command(
    name = "demo",
    description = {
      "Run the end-to-end story: a gateway and hospital nodes as separate processes on loopback, a data set",
      "split between them (rows stay in each node), federated training with live progress, the final test",
      "accuracy and the downloaded model. Ctrl-C stops everything cleanly. With --keep, the grid keeps running",
      "afterwards for the admin app until Ctrl-C."
    },
    footer = {"", "Example:", "  fedgrid demo", "  fedgrid demo --keep", "  fedgrid demo --dataset fashion-mnist --nodes 5 --partition dirichlet:0.5"})
public final class DemoCommand implements Callable<Integer> {

  @Mixin HelpOption help;

  /** The job being watched, for Ctrl-C. */
  private volatile JobId running;

  /** Set once Ctrl-C's shutdown hook is stopping the grid. */
  private volatile boolean stopping;

  /** The demo's compliance officer, created when a job's results are first held. */
  private FedGridClient officer;

  @Spec CommandSpec spec;

  @Option(names = "--dataset", defaultValue = "breast-cancer", description = "breast-cancer (vendored) or fashion-mnist. Default: ${DEFAULT-VALUE}")
  String dataset;

  @Option(names = "--nodes", description = "Number of hospital nodes. Default: 3 for breast-cancer, 5 for fashion-mnist.")
  Integer nodes;

  @Option(names = "--partition", defaultValue = "iid", description = "How rows are split: iid, dirichlet:ALPHA (label skew) or shards:K. Default: ${DEFAULT-VALUE}")
  String partition;

  @Option(names = "--rounds", description = "Rounds per job. Default: 20 for breast-cancer, 30 for fashion-mnist.")
  Integer rounds;

  @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:FEDGRID_DEMO_DIR:-${sys:user.home}/.fedgrid/demo}",
      description = "Where the demo keeps its processes' state, logs, data splits and models. Env FEDGRID_DEMO_DIR. Default: ${DEFAULT-VALUE}")
  Path dataDir;

  @Option(names = "--keep", description = {"After the jobs, keep the gateway and the nodes running and print how to open the admin app",
      "and log in; Ctrl-C stops them. Default: stop when the jobs are done."})
  boolean keep;

  @Override
  public Integer call() throws Exception {
    boolean fashion = switch (dataset) {
      case "breast-cancer" -> false;
      case "fashion-mnist" -> true;
      default -> throw new ParameterException(spec.commandLine(), "--dataset must be breast-cancer or fashion-mnist, not '" + dataset + "'");
    };
    int n = nodes != null ? nodes : fashion ? 5 : 3;
    int r = rounds != null ? rounds : fashion ? 30 : 20;
    if (n < 2 || n > 16) throw new ParameterException(spec.commandLine(), "--nodes must be in [2, 16], got " + n);
    if (r < 1 || r > 1000) throw new ParameterException(spec.commandLine(), "--rounds must be in [1, 1000], got " + r);
    DemoData.Partition split;
    try {
      split = DemoData.Partition.parse(partition, 42);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--partition: " + e.getMessage());
    }
    PrintStream out = FedGridCommand.of(spec).out();
    PrintStream err = FedGridCommand.of(spec).err();
    Path fashionDir = fashion ? DemoData.findFashionMnist().orElseThrow(() -> new UnavailableException("FASHION_MNIST_MISSING",
        "Fashion-MNIST is not on this machine; install it with `apt-get install dataset-fashion-mnist` (Debian) or put the four IDX files in "
            + DemoData.FASHION_MNIST_DIRS.getFirst().toAbsolutePath().normalize())) : null;

    reset(dataDir);
    out.printf("FedGrid demo: a gateway and %d hospital nodes, each a separate process on loopback; state and logs in %s%n", n, dataDir);
    Path splits = dataDir.resolve("data");
    List<Path> shards = fashion ? DemoData.splitFashionMnist(fashionDir, splits, n, split) : DemoData.splitCancer(splits, n, split);
    out.printf("Split %s across %d hospitals (%s); each hospital keeps its rows and tells the gateway only their metadata.%n",
        fashion ? "Fashion-MNIST (60,000 training images)" : "the breast-cancer data (569 patients)", n, split.describe());

    LocalGrid grid = new LocalGrid(dataDir);
    Thread cleanup = new Thread(() -> interrupted(grid, err), "fedgrid-demo-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      grid.startGateway();
      out.printf("Gateway up: control API %s, fleet API %s (log: %s)%n", grid.controlUrl(), grid.fleetAddress(), grid.gateway().log());
      grid.ownerToken();
      out.printf("TLS: a throw-away project CA in %s issued the gateway's and each node's certificate; the fleet API runs on mutual TLS,%n"
          + "  the control API on HTTPS.%n", grid.caFile().getParent());
      out.printf("Owner: its first start created the user 'owner'; the password and an API token are in %s (readable only by you).%n"
          + "  To explore while the demo runs: export FEDGRID_CA=%s, then fedgrid login --gateway %s --user owner%n"
          + "  (or export FEDGRID_TOKEN=<the token>), or open the admin app at %s/admin/ and log in as owner with that password%n"
          + "  (the browser does not know the throw-away CA: import %s, or accept its warning for this demo).%n",
          grid.ownerCredential(), grid.caFile(), grid.controlUrl(), grid.controlUrl(), grid.caFile());
      String name = fashion ? "fashion-mnist" : "breast-cancer";
      for (int i = 0; i < n; i++) {
        String option = fashion
            ? "name=" + name + ",path=" + shards.get(i) + ",format=idx,tags=fashion,images"
            : "name=" + name + ",path=" + shards.get(i) + ",label=benign,test=0.2,tags=health,oncology,visibility=private";
        grid.startNode("hospital-" + (i + 1), option);
      }
      err.println("Starting " + n + " nodes (the first start on a machine unpacks PyTorch into ~/.fedgrid/cache, once)...");
      grid.awaitNodes(Duration.ofMinutes(5));

      FedGridClient client = grid.client();
      List<DatasetInfo> catalogue = client.datasets(name, null);
      out.println("Catalogue (metadata only):");
      for (DatasetInfo d : catalogue) {
        out.printf("  %-28s %-13s on %s: %,d training rows, %,d test rows, %d features, label '%s'%n", d.id(), d.name(), d.nodeId(),
            d.metadata().trainRows(), d.metadata().testRows(), width(d.metadata().featureShape()), d.metadata().label().column());
      }
      DatasetInfo first = catalogue.getFirst();
      if (fashion) {
        runJob(client, out, err, fashionMnistJob(List.of(name), ModelPresets.preset("mlp:128", first), r, n));
      } else {
        var sgd = new TrainingConfig(1, 16, Optimizer.SGD, 0.1, 0.0, 42L);
        runJob(client, out, err, new JobSpec("logistic regression", List.of(name), ModelPresets.preset("logistic", first), sgd,
            new StrategyConfig.FedAvg(), r, n, 120, true));
        runJob(client, out, err, new JobSpec("MLP 30-16-1", List.of(name), ModelPresets.preset("mlp:16", first), sgd,
            new StrategyConfig.FedAvg(), r, n, 120, true));
      }
      if (officer != null) officer.close();
      if (keep) return keepServing(grid, n, out);
      out.println("Stopping the nodes and the gateway...");
      grid.close();
      out.println("Done. Every process stopped cleanly; logs are in " + dataDir.resolve("logs"));
      return Main.OK;
    } finally {
      grid.close();
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException e) {
        // already shutting down
      }
    }
  }

  /**
   * {@code --keep}: says where the admin app is and how to log in, then waits until the gateway
   * ends: Ctrl-C runs the shutdown hook, which stops the nodes and the gateway; an interrupt (the
   * way a test stops the command in its own JVM) returns, and the caller's {@code finally} stops
   * them. The owner's password is not printed: it stays in the credential file, readable only by
   * this user, like the token.
   */
  private int keepServing(LocalGrid grid, int nodeCount, PrintStream out) {
    out.printf("%nThe grid keeps running (--keep): the gateway and %d nodes, with the jobs, requests and audit trail above.%n", nodeCount);
    out.printf("  admin app %s/admin/%n", grid.controlUrl());
    out.printf("  log in as user 'owner' with the \"password\" in %s%n", grid.ownerCredential());
    out.printf("  the browser does not know the demo's throw-away CA: import %s, or accept its warning for this demo%n", grid.caFile());
    out.printf("  from a terminal: export FEDGRID_CA=%s; fedgrid login --gateway %s --user owner%n", grid.caFile(), grid.controlUrl());
    out.println("Press Ctrl-C to stop the nodes and the gateway.");
    out.flush();
    try {
      int code = grid.gateway().awaitExit();
      if (stopping) return Main.OK; // Ctrl-C: the shutdown hook stopped it
      out.println("The gateway stopped (exit code " + code + "); see " + grid.gateway().log());
      return code == 0 ? Main.OK : Main.FAILURE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      out.println("Stopping the nodes and the gateway...");
      return Main.OK;
    }
  }

  /** Local training of the demo's Fashion-MNIST job, also the end-to-end benchmark's default: one epoch of SGD with momentum. */
  public static final TrainingConfig FASHION_MNIST_TRAINING = new TrainingConfig(1, 32, Optimizer.SGD, 0.02, 0.9, 42L);

  private static JobSpec fashionMnistJob(List<String> datasets, dev.fedgrid.api.model.ModelSpec model, int rounds, int nodes) {
    return new JobSpec("MLP 784-128-10", datasets, model, FASHION_MNIST_TRAINING, new StrategyConfig.FedAvg(), rounds, nodes, 600, true);
  }

  private void runJob(FedGridClient client, PrintStream out, PrintStream err, JobSpec spec) throws IOException {
    Job job = client.submitJob(spec);
    running = job.id();
    out.printf("%nJob %s: %s, %s, %d rounds on %s%n", job.id(), spec.name(), spec.strategy().name(), spec.rounds(), String.join(", ", spec.datasets()));
    JobCommand.watch(client, job.id(), out, err, false);
    Path modelDir = dataDir.resolve("models").resolve(job.id().value());
    ModelDownload model;
    try {
      model = client.downloadModel(job.id(), modelDir);
    } catch (PermissionDeniedException e) {
      if (!e.code().equals("RELEASE_REQUIRED")) throw e;
      release(client, job.id(), out);
      model = client.downloadModel(job.id(), modelDir);
    }
    Job done = client.job(job.id());
    Double accuracy = done.metrics().get("accuracy");
    out.printf("Test accuracy of %s: %s (federated evaluation on every hospital's held-out rows)%n", spec.name(),
        accuracy == null ? "n/a" : String.format(Locale.ROOT, "%.4f", accuracy));
    out.printf("Model: %s%n       %s%n", model.weights(), model.description());
    running = null;
  }

  /**
   * The results of a job on private data are held: the owner (who submitted it) files a release
   * request, and a compliance officer, a user the demo creates once, approves it.
   */
  private void release(FedGridClient owner, JobId job, PrintStream out) {
    out.println("The model is held: the job trained on private data, so its results leave only after a compliance officer approves.");
    if (officer == null) {
      NewUser created = owner.createUser(OFFICER, "compliance-officer", null);
      officer = owner.login(OFFICER, created.password()); // a client of the same gateway, trusting the same CA, with the officer's token
      out.printf("  created user '%s' (role compliance-officer) and logged in as them%n", OFFICER);
    }
    ReleaseRequest request = owner.requestRelease(job, "demo: the federated model of " + job + " for evaluation");
    out.printf("  owner filed release request %s; %s approves it:%n", request.id(), OFFICER);
    officer.approveRelease(request.id(), "demo: approved after review");
    out.printf("  approved; `fedgrid request list` and `fedgrid audit list` show the decision%n");
  }

  /** Ctrl-C: cancel the job in flight so it ends cancelled rather than failed, then stop every process. */
  private void interrupted(LocalGrid grid, PrintStream err) {
    stopping = true;
    JobId job = running;
    if (job == null && keep) err.println(System.lineSeparator() + "Stopping the nodes and the gateway...");
    if (job != null) {
      err.println();
      err.println("Interrupted: cancelling job " + job + " and stopping the nodes and the gateway...");
      try {
        grid.client().cancelJob(job);
      } catch (RuntimeException e) {
        // the gateway may already be gone; stopping the processes is what matters
      }
    }
    grid.close();
  }

  private static final String OFFICER = "demo-officer";

  /**
   * Empties what an earlier demo left in {@code dir}, so every run starts afresh: its state, data
   * splits, logs, models and its throw-away CA (a new one is made for each run; keeping the old one
   * made a second run fail with PKI_EXISTS). Anything else in {@code dir} is left alone.
   */
  static void reset(Path dir) throws IOException {
    for (String sub : List.of("gateway", "nodes", "data", "logs", "models", "pki")) {
      Path p = dir.resolve(sub);
      if (!Files.exists(p)) continue;
      try (Stream<Path> walk = Files.walk(p)) {
        for (Path f : walk.sorted(Comparator.reverseOrder()).toList()) Files.delete(f);
      }
    }
    Files.createDirectories(dir);
  }

  private static int width(List<Integer> shape) {
    int w = 1;
    for (int d : shape) w *= d;
    return w;
  }
}
