package dev.fedgrid.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.model.Layer;
import dev.fedgrid.api.model.Loss;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.SealedArtifact;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.custodian.AssignmentCheck;
import dev.fedgrid.custodian.CustodianAudit;
import dev.fedgrid.custodian.CustodianServer;
import dev.fedgrid.custodian.Custodians;
import dev.fedgrid.custodian.GatewayAssignments;
import dev.fedgrid.gateway.GatewayServices;
import dev.fedgrid.gateway.access.Passwords;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.control.ControlServer;
import dev.fedgrid.gateway.fleet.FleetServer;
import dev.fedgrid.gateway.fleet.FleetServerOptions;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.gateway.market.Market;
import dev.fedgrid.gateway.market.MarketViews.DemandTerms;
import dev.fedgrid.gateway.market.MarketViews.OfferTerms;
import dev.fedgrid.gateway.market.MarketViews.Price;
import dev.fedgrid.gateway.state.JobEvent;
import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.ml.DjlTrainingEngine;
import dev.fedgrid.ml.EvalResult;
import dev.fedgrid.ml.FitResult;
import dev.fedgrid.ml.LocalData;
import dev.fedgrid.ml.TrainingEngine;
import dev.fedgrid.security.CertificateRole;
import dev.fedgrid.security.IssueRequest;
import dev.fedgrid.security.ProjectCa;
import dev.fedgrid.security.TlsMaterial;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A confidential job end to end over real sockets: the real gateway (coordinator, market, fleet API
 * on mutual TLS, control API on HTTPS), three key custodians (k = 2) that ask that gateway, and a
 * real node daemon with the real training engine on a CSV file. The requestor seals an MLP (with
 * ReLU) and the gateway gets only its outline (the ReLU hidden); the node with an APPROVED
 * agreement recovers the key, trains the sealed model for two rounds, and the job completes.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ConfidentialJobTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final ModelSpec SECRET = new ModelSpec(List.of(new Layer.Dense(4), new Layer.Relu(), new Layer.Dense(1)), Loss.BINARY_CROSS_ENTROPY);
  private static final String PASSWORD = "correct horse battery staple";

  @TempDir Path tmp;
  private ProjectCa ca;
  private SqlDatabase db;
  private GatewayServices services;
  private Coordinator coordinator;
  private FleetServer fleet;
  private ControlServer control;
  private final List<CustodianServer> custodians = new ArrayList<>();
  private List<String> urls;
  private Principal owner;
  private Principal ana;
  private NodeDaemon node;
  private RecordingEngine engine;

  @BeforeEach
  void start() throws Exception {
    ca = ProjectCa.create(tmp.resolve("pki"), ProjectCa.DEFAULT_NAME, ProjectCa.DEFAULT_VALIDITY, InstantSource.system());
    TlsMaterial gatewayTls = tls(CertificateRole.GATEWAY, "gw");
    db = SqlDatabase.sqlite(tmp.resolve("gateway.db"));
    services = GatewayServices.of(db, Clock.systemUTC(), new Passwords(64, 1, 1));
    coordinator = services.coordinator(new CoordinatorOptions(Duration.ofMillis(500), Duration.ofSeconds(5), Duration.ofMillis(500), Duration.ofMillis(50)));
    coordinator.start();
    fleet = FleetServer.start(coordinator, "127.0.0.1", 0, FleetServerOptions.builder().shutdownTimeout(Duration.ofSeconds(2)).build(), gatewayTls);
    control = services.controlServer(coordinator).tls(gatewayTls).start();
    var identity = services.identity();
    owner = identity.authenticate(identity.bootstrap().orElseThrow().token());
    identity.createUser(owner, "ana", "data-scientist", Optional.of(PASSWORD));
    ana = identity.authenticate(identity.login("ana", PASSWORD, "127.0.0.1").token());
    identity.createUser(owner, "custodians", "administrator", Optional.of(PASSWORD));
    String serviceToken = identity.login("custodians", PASSWORD, "127.0.0.1").token();
    for (String name : List.of("c1", "c2", "c3")) {
      TlsMaterial own = tls(CertificateRole.CUSTODIAN, name);
      AssignmentCheck check = new GatewayAssignments(URI.create("https://127.0.0.1:" + control.port()), serviceToken, own.sslContext(), TIMEOUT);
      custodians.add(CustodianServer.start(tmp.resolve("custodian-" + name), own, check, "127.0.0.1", 0, InstantSource.system()));
    }
    urls = custodians.stream().map(c -> "https://127.0.0.1:" + c.port()).toList();

    Path csv = tmp.resolve("cancer.csv");
    var rows = new StringBuilder("x0,x1,benign\n");
    var random = new java.util.Random(7);
    for (int i = 0; i < 60; i++) {
      double a = random.nextGaussian();
      double b = random.nextGaussian();
      rows.append(String.format(java.util.Locale.ROOT, "%.4f,%.4f,%d%n", a, b, a + b > 0 ? 1 : 0));
    }
    Files.writeString(csv, rows);
    engine = new RecordingEngine(DjlTrainingEngine.create(1));
    String joinToken = services.joinTokens().issue(owner, Optional.of("hospital-a"), Duration.ofHours(1)).token();
    node = NodeDaemon.start(NodeConfig.builder()
        .gateway("127.0.0.1", fleet.port())
        .nodeName("hospital-a")
        .dataDir(tmp.resolve("node"))
        .dataset(DatasetOption.parse("name=cancer,path=" + csv + ",label=benign,test=0.2,tags=health,visibility=public"))
        .pollWait(Duration.ofSeconds(1))
        .heartbeatInterval(Duration.ofMillis(500))
        .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
        .tlsDir(ca.issue(IssueRequest.of(CertificateRole.NODE, "hospital-a")).directory())
        .joinToken(joinToken)
        .build(), engine);
  }

  @AfterEach
  void stop() {
    if (node != null) node.close();
    custodians.forEach(CustodianServer::close);
    if (control != null) control.close();
    if (fleet != null) fleet.close();
    if (coordinator != null) coordinator.close();
    if (db != null) db.close();
  }

  @Test
  void theApprovedNodeTrainsTheSealedModelWhileTheGatewayHoldsOnlyItsOutline() throws Exception {
    NodeId id = node.awaitRegistration(TIMEOUT);
    Job job = submitAndApprove(id, () -> {});

    Job done = awaitTerminal(job.id());
    assertThat(done.state()).as(done.message()).isEqualTo(JobState.COMPLETED);
    assertThat(engine.specs).isNotEmpty().allSatisfy(s -> assertThat(s).isEqualTo(SECRET));
    assertThat(done.spec().model()).isEqualTo(SECRET.outline());
    assertThat(done.spec().model().layers()).containsExactly(new Layer.Dense(4), ModelSpec.HIDDEN, new Layer.Dense(1));
    // nowhere in the gateway's database: the activation, which only the sealed spec has
    var stored = new StringBuilder();
    try (var files = Files.list(tmp)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith("gateway.db")).toList()) { // with the write-ahead log
        stored.append(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
      }
    }
    assertThat(stored).contains(done.spec().confidential().artifactId().value()).doesNotContain("relu");
    // each task asked two custodians; every custodian's log verifies and names the node
    long released = 0;
    for (CustodianServer c : custodians) {
      assertThat(CustodianAudit.verify(c.auditFile()).intact()).isTrue();
      for (CustodianAudit.Entry e : CustodianAudit.read(c.auditFile())) {
        if (e.action().equals("share.released")) {
          released++;
          assertThat(e.actor()).isEqualTo("node:hospital-a");
          assertThat(e.jobId()).isEqualTo(job.id().value());
        }
      }
    }
    assertThat(released).isEqualTo(2L * engine.calls());
  }

  @Test
  void withTwoCustodiansDownTheTaskFailsNamingHowManyAnsweredAndWhy() throws Exception {
    NodeId id = node.awaitRegistration(TIMEOUT);
    Job job = submitAndApprove(id, () -> {
      custodians.get(0).close();
      custodians.get(1).close();
    });

    Job done = awaitTerminal(job.id());
    assertThat(done.state()).isEqualTo(JobState.FAILED);
    assertThat(engine.calls()).isZero();
    List<JobEvent> failures = coordinator.events(ana, job.id(), 0, Duration.ZERO).stream().filter(e -> e.type().equals("node_failed")).toList();
    assertThat(failures).isNotEmpty().first().satisfies(e -> assertThat(e.message())
        .contains("cannot open the job's confidential model")
        .contains("needs 2 of 3 custodians, but only 1 released a share")
        .contains("CUSTODIAN_UNAVAILABLE: custodian " + urls.get(0)));
  }

  /** Seals, deposits, submits and binds; runs {@code beforeApproval}; then approves the node's agreement, which lets the job start. */
  private Job submitAndApprove(NodeId id, Runnable beforeApproval) {
    SSLContext requestor = tls(CertificateRole.USER, "ana").sslContext();
    byte[] secret = NodeJson.write(SECRET).getBytes(StandardCharsets.UTF_8);
    SealedArtifact sealed = Custodians.sealAndDeposit(secret, urls, 2, requestor, TIMEOUT, new SecureRandom());
    JobSpec spec = new JobSpec("confidential", List.of("cancer"), SECRET, TrainingConfig.defaults(), new StrategyConfig.FedAvg(), 2, 1, 60, true)
        .withConfidential(SECRET.outline(), sealed);
    Job job = coordinator.submitJob(ana, spec);
    Custodians.bind(sealed, job.id(), requestor, TIMEOUT);
    Market market = services.market();
    String offer = market.publishOffer(owner, new OfferTerms(id.value(), Map.of("fedgrid.dataset.tags", List.of("health")), null,
        new Price("1", Map.of("examples_epochs", "0.001")))).id();
    String demand = market.publishDemand(ana, new DemandTerms(job.id().value(), Map.of(), "(fedgrid.dataset.tags=health)",
        new Price("5", Map.of("examples_epochs", "0.01")), "100", Map.of("examples_epochs", 100L))).id();
    var agreement = market.createAgreement(ana, market.propose(ana, offer, demand).id(), Optional.empty(), Optional.empty());
    market.confirm(ana, agreement.id());
    beforeApproval.run();
    market.approve(owner, agreement.id());
    return job;
  }

  private Job awaitTerminal(JobId id) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      Job job = coordinator.job(ana, id);
      if (job.state().isTerminal()) return job;
      Thread.sleep(50);
    }
    throw new AssertionError("job " + id + " did not finish: " + coordinator.job(ana, id));
  }

  private TlsMaterial tls(CertificateRole role, String name) {
    return TlsMaterial.load(ca.issue(IssueRequest.of(role, name)).directory(), InstantSource.system());
  }

  /** The real engine, noting the model spec of every task it runs. */
  private static final class RecordingEngine implements TrainingEngine {
    final List<ModelSpec> specs = new CopyOnWriteArrayList<>();
    private final TrainingEngine real;

    RecordingEngine(TrainingEngine real) {
      this.real = real;
    }

    int calls() {
      return specs.size();
    }

    @Override
    public FitResult fit(ModelSpec spec, Parameters global, LocalData data, FeatureScaling scaling, TrainingConfig config, double proximalMu) {
      specs.add(spec);
      return real.fit(spec, global, data, scaling, config, proximalMu);
    }

    @Override
    public EvalResult evaluate(ModelSpec spec, Parameters parameters, LocalData data, FeatureScaling scaling) {
      specs.add(spec);
      return real.evaluate(spec, parameters, data, scaling);
    }

    @Override
    public void close() {
      real.close();
    }
  }
}
