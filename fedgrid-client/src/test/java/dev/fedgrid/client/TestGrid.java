package dev.fedgrid.client;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.gateway.Gateway;
import dev.fedgrid.gateway.GatewayConfig;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.ml.EvalResult;
import dev.fedgrid.ml.FitResult;
import dev.fedgrid.ml.LocalData;
import dev.fedgrid.ml.TrainingEngine;
import dev.fedgrid.node.DatasetOption;
import dev.fedgrid.node.NodeConfig;
import dev.fedgrid.node.NodeDaemon;
import dev.fedgrid.security.CertificateRole;
import dev.fedgrid.security.IssueRequest;
import dev.fedgrid.security.ProjectCa;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real grid in this JVM for the SDK's tests: a gateway on free loopback ports with its SQLite
 * state under a test's directory, and two real nodes, {@code hospital-a} and {@code hospital-b},
 * each serving its own slice of the vendored breast-cancer CSV as the dataset {@value #DATASET}
 * (tagged {@code medical}). The nodes train with {@link PlusOne}, the stand-in for the ML port
 * (the DJL engine passes its own contract test), so a round takes milliseconds.
 *
 * <p>The grid's client is the gateway's owner, authenticated as a person would be on a fresh
 * gateway: with the token of the one-time owner credential the first start wrote to {@value
 * Gateway#OWNER_CREDENTIAL_FILE} in the gateway's data directory. Each node enrols with a join
 * token the owner issued for its name.
 *
 * <p>It runs on TLS, as gateways do by default: a throw-away project CA under the test's directory
 * issues the gateway's certificate (for {@code localhost} and {@code 127.0.0.1}) and each node's;
 * the control API is HTTPS ({@link #uri()}) and clients from {@link #clientBuilder()} trust the CA.
 *
 * <p>Start one per test class; closing it stops the nodes, then the gateway. Not thread-safe.
 */
final class TestGrid implements AutoCloseable {
  static final String DATASET = "cancer";
  /** What every evaluation reports, and so every round's and job's metrics. */
  static final Map<String, Double> METRICS = Map.of("accuracy", 0.875, "loss", 0.25);

  private final Gateway gateway;
  private final ProjectCa ca;
  private final List<NodeDaemon> nodes = new ArrayList<>();
  private final Owner owner;
  private final FedGridClient client;

  /** The one-time owner credential of a fresh gateway. */
  record Owner(String user, String password, String token) {
    @Override
    public String toString() {
      return "Owner[" + user + "]";
    }
  }

  private TestGrid(Gateway gateway, ProjectCa ca, Owner owner) {
    this.gateway = gateway;
    this.ca = ca;
    this.owner = owner;
    this.client = clientBuilder().token(owner.token()).timeout(Duration.ofSeconds(20)).build();
  }

  /** A throw-away project CA in {@code dir} with a gateway certificate for localhost and 127.0.0.1. */
  static ProjectCa pki(Path dir) {
    ProjectCa ca = ProjectCa.create(dir, "Test CA", Duration.ofDays(30), InstantSource.system());
    ca.issue(IssueRequest.of(CertificateRole.GATEWAY, "gw").withValidity(Duration.ofDays(1)));
    return ca;
  }

  /** Starts a gateway alone under {@code dir}, with no nodes. */
  static TestGrid gatewayOnly(Path dir) throws Exception {
    var timing = new CoordinatorOptions(Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofMillis(100));
    ProjectCa ca = pki(dir.resolve("pki"));
    Gateway gateway = Gateway.start(new GatewayConfig(dir.resolve("gateway"), "127.0.0.1", 0, 0, timing).withTls(ca.directory().resolve("gateway/gw")));
    try {
      return new TestGrid(gateway, ca, owner(dir.resolve("gateway")));
    } catch (Exception | Error e) {
      gateway.close();
      throw e;
    }
  }

  /** Starts the gateway and both nodes under {@code dir}; returns once the nodes have registered. */
  static TestGrid start(Path dir) throws Exception {
    var grid = gatewayOnly(dir);
    try {
      List<String> lines = Files.readAllLines(repoFile("data/breast_cancer_wisconsin.csv"));
      var engine = new PlusOne();
      for (int k = 0; k < 2; k++) {
        String name = "hospital-" + (char) ('a' + k);
        var slice = new ArrayList<>(List.of(lines.getFirst()));
        for (int row = 1 + k; row <= 120; row += 2) slice.add(lines.get(row));
        Path csv = Files.write(dir.resolve(name + ".csv"), slice);
        NodeConfig config = NodeConfig.builder()
            .gateway("127.0.0.1", grid.gateway.fleetPort())
            .nodeName(name)
            .joinToken(grid.client.createJoinToken(name, 1).token())
            .dataDir(dir.resolve(name))
            .dataset(DatasetOption.parse("name=" + DATASET + ",path=" + csv + ",label=benign,tags=medical,visibility=public"))
            .pollWait(Duration.ofSeconds(2))
            .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
            .tlsDir(grid.ca.issue(IssueRequest.of(CertificateRole.NODE, name).withValidity(Duration.ofDays(1))).directory())
            .build();
        grid.nodes.add(NodeDaemon.start(config, engine));
      }
      for (NodeDaemon node : grid.nodes) node.awaitRegistration(Duration.ofSeconds(30));
      return grid;
    } catch (Exception | Error e) {
      grid.close();
      throw e;
    }
  }

  /** The control API, on HTTPS. */
  URI uri() {
    return URI.create("https://127.0.0.1:" + gateway.controlPort());
  }

  /** The project CA's certificate, which the gateway's comes from. */
  Path caFile() {
    return ca.directory().resolve("ca.pem");
  }

  /** A client builder for the control API that trusts the grid's CA, without a token. */
  FedGridClient.Builder clientBuilder() {
    return FedGridClient.builder().baseUri(uri()).trustCa(caFile());
  }

  /** A client of the control API with the owner's token, closed with the grid. */
  FedGridClient client() {
    return client;
  }

  /** The owner's one-time credential. */
  Owner owner() {
    return owner;
  }

  /** Reads the owner credential a gateway's first start wrote into {@code gatewayDir}, waiting up to 10 s for it. */
  static Owner owner(Path gatewayDir) throws IOException, InterruptedException {
    Path file = gatewayDir.resolve(Gateway.OWNER_CREDENTIAL_FILE);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!Files.exists(file)) {
      if (System.nanoTime() > deadline) throw new AssertionError("the gateway wrote no " + file + " within 10 s of its first start");
      Thread.sleep(20);
    }
    return ClientJson.MAPPER.readValue(file.toFile(), Owner.class);
  }

  /** A logistic regression on {@value #DATASET} for {@code rounds} rounds with at least {@code minNodes} nodes. */
  static JobSpec spec(String name, int rounds, int minNodes) {
    return new JobSpec(name, List.of(DATASET), ModelSpec.logisticRegression(), null, null, rounds, minNodes, 60, null);
  }

  /** Submits a job and waits for its end. */
  Job run(JobSpec spec) throws InterruptedException {
    return awaitEnd(client.submitJob(spec).id());
  }

  /** Polls the job until it has finished; fails after 30 s. */
  Job awaitEnd(JobId id) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      Job job = client.job(id);
      if (job.state().isTerminal()) return job;
      if (System.nanoTime() > deadline) throw new AssertionError("job " + id + " is still " + job.state().wireName() + " after 30 s: " + job.message());
      Thread.sleep(20);
    }
  }

  @Override
  public void close() {
    client.close();
    nodes.forEach(NodeDaemon::close);
    gateway.close();
  }

  /** A file of this repository, found by walking up from the working directory. */
  static Path repoFile(String relative) throws IOException {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.exists(dir.resolve(relative))) return dir.resolve(relative);
    }
    throw new IOException(relative + " is in no directory above " + Path.of("").toAbsolutePath());
  }

  /** Adds 1 to every parameter and reports {@link #METRICS}: training without the ML stack. Thread-safe. */
  static final class PlusOne implements TrainingEngine {
    @Override
    public FitResult fit(ModelSpec spec, Parameters global, LocalData data, FeatureScaling scaling, TrainingConfig config, double proximalMu) {
      float[] out = global.values().clone();
      for (int i = 0; i < out.length; i++) out[i] += 1;
      return new FitResult(new Parameters(global.layout(), out), data.rows(), Map.of("loss", 0.5));
    }

    @Override
    public EvalResult evaluate(ModelSpec spec, Parameters parameters, LocalData data, FeatureScaling scaling) {
      return new EvalResult(data.rows(), METRICS);
    }

    @Override
    public void close() {}
  }
}
