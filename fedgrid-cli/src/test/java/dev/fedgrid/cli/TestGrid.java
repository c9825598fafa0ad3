package dev.fedgrid.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.node.NodeInfo;
import dev.fedgrid.api.node.NodeStatus;
import dev.fedgrid.client.FedGridClient;
import dev.fedgrid.gateway.Gateway;
import dev.fedgrid.gateway.GatewayConfig;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.ml.EvalResult;
import dev.fedgrid.ml.FitResult;
import dev.fedgrid.ml.IdxFiles;
import dev.fedgrid.ml.LocalData;
import dev.fedgrid.ml.TrainingEngine;
import dev.fedgrid.ml.TrainingException;
import dev.fedgrid.node.DatasetOption;
import dev.fedgrid.node.NodeConfig;
import dev.fedgrid.node.NodeDaemon;
import dev.fedgrid.security.CertificateRole;
import dev.fedgrid.security.IssueRequest;
import dev.fedgrid.security.IssuedCertificate;
import dev.fedgrid.security.ProjectCa;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.IntPredicate;

/**
 * A real grid in this JVM for the command tests: a gateway on free loopback ports with its SQLite
 * state under a test's directory, and two real nodes. {@code hospital-a} serves a slice of the
 * vendored breast-cancer CSV as {@value #CANCER} and 30 small images as {@value #IMAGES} (IDX,
 * 28x28, 10 classes); {@code hospital-b} serves another slice as {@value #CANCER}. The nodes train
 * with {@link PlusOne}, the stand-in for the ML port (the DJL engine passes its own contract test),
 * so a round takes milliseconds.
 *
 * <p>The grid's client is the gateway's owner, authenticated as a person would be on a fresh
 * gateway: with the token of the one-time owner credential its first start wrote into its data
 * directory ({@link Gateway#OWNER_CREDENTIAL_FILE}). Each node enrols with a join token the owner
 * issued for its name.
 *
 * <p>It runs on TLS, as gateways do by default. One throw-away project CA per test JVM ({@link
 * #pki()}, under {@code target/}) issues the gateway's certificate (for {@code localhost} and
 * {@code 127.0.0.1}) and each node's, shared by every grid; the system property {@value
 * GatewayOption#CA_VARIABLE} names its certificate, so the commands under test trust it as a user
 * would with the environment variable.
 *
 * <p>Start one per test class; closing it stops the nodes, then the gateway. Not thread-safe.
 */
final class TestGrid implements AutoCloseable {
  static final String CANCER = "cancer";
  static final String IMAGES = "images";
  /** What every evaluation reports, and so every round's and job's metrics. */
  static final Map<String, Double> METRICS = Map.of("accuracy", 0.95, "loss", 0.12);

  private final Gateway gateway;
  private final PlusOne engine = new PlusOne();
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

  private static ProjectCa pki;

  private TestGrid(Gateway gateway, Owner owner) {
    this.gateway = gateway;
    this.owner = owner;
    this.client = clientBuilder().token(owner.token()).timeout(Duration.ofSeconds(20)).build();
  }

  /** The test JVM's throw-away project CA, created on first use with a gateway certificate; sets {@value GatewayOption#CA_VARIABLE}. */
  static synchronized ProjectCa pki() throws IOException {
    if (pki == null) {
      Path target = Files.createDirectories(Path.of("target"));
      pki = ProjectCa.create(Files.createTempDirectory(target, "test-pki-").resolve("pki"), "Test CA", Duration.ofDays(30), InstantSource.system());
      pki.issue(IssueRequest.of(CertificateRole.GATEWAY, "gw").withValidity(Duration.ofDays(2)));
      System.setProperty(GatewayOption.CA_VARIABLE, caFile().toString());
    }
    return pki;
  }

  /** The CA's certificate, which the grids' gateway certificates come from. */
  static Path caFile() {
    return pki.directory().resolve("ca.pem");
  }

  /** The TLS directory of {@code role}'s {@code name}, issued on first use. */
  static Path tlsDir(CertificateRole role, String name) throws IOException {
    ProjectCa ca = pki();
    return ca.list().stream().filter(c -> c.role() == role && c.name().equals(name) && !c.revoked()).findFirst()
        .map(IssuedCertificate::directory)
        .orElseGet(() -> ca.issue(IssueRequest.of(role, name).withValidity(Duration.ofDays(2))).directory());
  }

  /** Starts a gateway alone under {@code dir}, with no nodes. */
  static TestGrid gatewayOnly(Path dir) throws Exception {
    var timing = new CoordinatorOptions(Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofMillis(100));
    Gateway gateway = Gateway.start(new GatewayConfig(dir.resolve("gateway"), "127.0.0.1", 0, 0, timing).withTls(tlsDir(CertificateRole.GATEWAY, "gw")));
    try {
      return new TestGrid(gateway, owner(dir.resolve("gateway")));
    } catch (Exception | Error e) {
      gateway.close();
      throw e;
    }
  }

  /** Starts the gateway and both nodes under {@code dir}; returns once the nodes have registered. */
  static TestGrid start(Path dir) throws Exception {
    var grid = gatewayOnly(dir);
    try {
      List<String> cancer = Files.readAllLines(repoFile("data/breast_cancer_wisconsin.csv"));
      for (int k = 0; k < 2; k++) {
        String name = "hospital-" + (char) ('a' + k);
        var slice = new ArrayList<>(List.of(cancer.getFirst()));
        for (int row = 1 + k; row <= 120; row += 2) slice.add(cancer.get(row));
        Path csv = Files.write(dir.resolve(name + ".csv"), slice);
        var datasets = new ArrayList<>(List.of(DatasetOption.parse("name=" + CANCER + ",path=" + csv + ",label=benign,tags=medical,tabular,visibility=public")));
        if (k == 0) datasets.add(DatasetOption.parse("name=" + IMAGES + ",path=" + images(dir.resolve(IMAGES)) + ",tags=images,visibility=public"));
        NodeConfig config = NodeConfig.builder()
            .gateway("127.0.0.1", grid.gateway.fleetPort())
            .nodeName(name)
            .joinToken(grid.client.createJoinToken(name, 1).token())
            .dataDir(dir.resolve(name))
            .datasets(datasets)
            .pollWait(Duration.ofSeconds(2))
            .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
            .tlsDir(tlsDir(CertificateRole.NODE, name))
            .build();
        grid.nodes.add(NodeDaemon.start(config, grid.engine));
      }
      for (NodeDaemon node : grid.nodes) node.awaitRegistration(Duration.ofSeconds(30));
      return grid;
    } catch (Exception | Error e) {
      grid.close();
      throw e;
    }
  }

  /** 30 images of 28x28 pixels, three of each digit 0 to 9, as IDX files in {@code dir}. */
  private static Path images(Path dir) throws IOException {
    Files.createDirectories(dir);
    int count = 30;
    byte[] pixels = new byte[count * 28 * 28];
    byte[] labels = new byte[count];
    for (int i = 0; i < count; i++) {
      labels[i] = (byte) (i % 10);
      for (int p = 0; p < 28 * 28; p++) pixels[i * 28 * 28 + p] = (byte) ((i * 31 + p) % 256);
    }
    IdxFiles.writeImages(dir.resolve("train-images-idx3-ubyte"), 28, 28, pixels, count);
    IdxFiles.writeLabels(dir.resolve("train-labels-idx1-ubyte"), labels);
    return dir;
  }

  /** The control API's URL, on HTTPS. */
  String url() {
    return "https://127.0.0.1:" + gateway.controlPort();
  }

  /** A client builder for the control API that trusts the test CA, without a token. */
  FedGridClient.Builder clientBuilder() {
    return FedGridClient.builder().baseUri(url()).trustCa(caFile());
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
    return new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false).readValue(file.toFile(), Owner.class);
  }

  /** The dataset called {@code name} on the node called {@code node}. */
  DatasetInfo dataset(String name, String node) {
    NodeInfo owner = client.nodes().stream().filter(n -> n.name().equals(node)).findFirst().orElseThrow();
    return client.datasets(name, null).stream().filter(d -> d.nodeId().equals(owner.id())).findFirst().orElseThrow();
  }

  /**
   * Makes fits of jobs trained with {@code seed} fail when {@code which} accepts their number: 1 for
   * the job's first fit on any node, 2 for its second, and so on.
   */
  void failFits(long seed, IntPredicate which) {
    engine.failing.put(seed, which);
  }

  /** A logistic regression on {@value #CANCER} trained with {@code seed}. */
  static JobSpec spec(String name, long seed, int rounds, int minNodes) {
    var training = new TrainingConfig(null, null, null, null, null, seed);
    return new JobSpec(name, List.of(CANCER), ModelSpec.logisticRegression(), training, null, rounds, minNodes, 60, null);
  }

  /** Submits a job once every node is free, so that all take part, and waits for its end. */
  Job run(JobSpec spec) throws InterruptedException {
    await("every node free", () -> client.nodes().stream().allMatch(n -> n.status() == NodeStatus.ONLINE && n.currentJob() == null));
    return awaitEnd(client.submitJob(spec).id());
  }

  /** Waits for the job's end. */
  Job awaitEnd(JobId id) throws InterruptedException {
    await("job " + id + " finished", () -> client.job(id).state().isTerminal());
    return client.job(id);
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("not " + what + " after 30 s");
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
  private static Path repoFile(String relative) throws IOException {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.exists(dir.resolve(relative))) return dir.resolve(relative);
    }
    throw new IOException(relative + " is in no directory above " + Path.of("").toAbsolutePath());
  }

  /**
   * Adds 1 to every parameter and reports {@link #METRICS}: training without the ML stack. Fits of
   * the seeds given to {@link #failFits} fail as told. Thread-safe; both nodes share it.
   */
  private static final class PlusOne implements TrainingEngine {
    final Map<Long, IntPredicate> failing = new ConcurrentHashMap<>();
    private final Map<Long, AtomicInteger> fits = new ConcurrentHashMap<>();

    @Override
    public FitResult fit(ModelSpec spec, Parameters global, LocalData data, FeatureScaling scaling, TrainingConfig config, double proximalMu) {
      int n = fits.computeIfAbsent(config.seed(), s -> new AtomicInteger()).incrementAndGet();
      if (failing.getOrDefault(config.seed(), k -> false).test(n)) {
        throw new TrainingException("fit " + n + " of seed " + config.seed() + " fails on purpose");
      }
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
