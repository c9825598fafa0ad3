package dev.fedgrid.custodian;

import dev.fedgrid.api.model.SealedArtifact;
import dev.fedgrid.api.ArtifactId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.gateway.GatewayServices;
import dev.fedgrid.gateway.access.Passwords;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.control.ControlServer;
import dev.fedgrid.gateway.fleet.NodeHello;
import dev.fedgrid.gateway.fleet.Registration;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.gateway.market.Market;
import dev.fedgrid.gateway.market.MarketViews.AgreementView;
import dev.fedgrid.gateway.market.MarketViews.DemandTerms;
import dev.fedgrid.gateway.market.MarketViews.OfferTerms;
import dev.fedgrid.gateway.market.MarketViews.Price;
import dev.fedgrid.gateway.state.SqlDatabase;
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
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key custody end to end over real sockets: a real gateway (coordinator, market and control API on
 * SQLite, served over HTTPS with a gateway certificate of the project CA), three custodians on
 * loopback with their own certificates, data directories and audit logs, and real node and user
 * certificates. A confidential model is sealed with k = 2 of n = 3; node {@code hospital-a} holds
 * an APPROVED agreement for the job, {@code hospital-b} only a confirmed one.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KeyCustodyTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String CANARY = "CANARY-model-9c41e7";
  private static final byte[] MODEL =
      ("{\"layers\": [{\"type\": \"dense\", \"units\": 16}, {\"type\": \"relu\"}, {\"type\": \"dense\", \"units\": 1}], \"loss\": \"binary_cross_entropy\", \"note\": \""
          + CANARY + "\"}").getBytes(StandardCharsets.UTF_8);
  private static final CoordinatorOptions OPTIONS =
      new CoordinatorOptions(Duration.ofMillis(200), Duration.ofMillis(1500), Duration.ofMillis(500), Duration.ofMillis(50));

  @TempDir Path dir;
  private SqlDatabase db;
  private Coordinator coordinator;
  private ControlServer gateway;
  private final List<CustodianServer> custodians = new ArrayList<>();
  private List<String> urls;
  private ProjectCa ca;
  private SSLContext ana;
  private SSLContext nodeA;
  private SSLContext nodeB;
  private JobId job;

  @BeforeEach
  void start() throws Exception {
    ca = ProjectCa.create(dir.resolve("pki"), ProjectCa.DEFAULT_NAME, ProjectCa.DEFAULT_VALIDITY, InstantSource.system());
    db = SqlDatabase.sqlite(dir.resolve("gateway.db"));
    GatewayServices services = GatewayServices.of(db, Clock.systemUTC(), new Passwords(64, 1, 1));
    coordinator = services.coordinator(OPTIONS);
    coordinator.start();
    Market market = services.market();
    var identity = services.identity();
    Principal owner = identity.authenticate(identity.bootstrap().orElseThrow().token());
    identity.createUser(owner, "ana", "data-scientist", Optional.of("correct horse battery staple"));
    Principal scientist = identity.authenticate(identity.login("ana", "correct horse battery staple", "127.0.0.1").token());
    // the custodians' service account: an operator, which is what GET /jobs/{id}/assignments/{node} needs
    identity.createUser(owner, "custodian-service", "administrator", Optional.of("correct horse battery staple"));
    String serviceToken = identity.login("custodian-service", "correct horse battery staple", "127.0.0.1").token();

    Registration a = register(services, owner, "hospital-a");
    Registration b = register(services, owner, "hospital-b");
    job = coordinator.submitJob(scientist, new JobSpec("confidential", List.of("cancer"), ModelSpec.logisticRegression(), TrainingConfig.defaults(),
        new StrategyConfig.FedAvg(), 1, 2, 10, true).withMarket(true)).id();
    String demand = market.publishDemand(scientist, new DemandTerms(job.value(), Map.of(), "(fedgrid.dataset.tags=health)",
        new Price("5", Map.of("examples_epochs", "0.01")), "100", Map.of("examples_epochs", 100L))).id();
    market.approve(owner, agreement(market, scientist, owner, a, demand).id());
    agreement(market, scientist, owner, b, demand); // confirmed, never approved

    gateway = services.controlServer(coordinator).tls(tls(CertificateRole.GATEWAY, "gw")).start();
    URI gatewayUrl = URI.create("https://127.0.0.1:" + gateway.port());
    for (String name : List.of("c1", "c2", "c3")) {
      TlsMaterial own = tls(CertificateRole.CUSTODIAN, name);
      var check = new GatewayAssignments(gatewayUrl, serviceToken, own.sslContext(), TIMEOUT);
      custodians.add(CustodianServer.start(dir.resolve("custodian-" + name), own, check, "127.0.0.1", 0, InstantSource.system()));
    }
    urls = custodians.stream().map(c -> "https://127.0.0.1:" + c.port()).toList();
    ana = tls(CertificateRole.USER, "ana").sslContext();
    nodeA = tls(CertificateRole.NODE, "hospital-a").sslContext();
    nodeB = tls(CertificateRole.NODE, "hospital-b").sslContext();
  }

  @AfterEach
  void stop() {
    custodians.forEach(CustodianServer::close);
    if (gateway != null) gateway.close();
    if (coordinator != null) coordinator.close();
    if (db != null) db.close();
  }

  @Test
  void aNodeWithAnApprovedAgreementRecoversTheModelFromTwoOfThreeCustodians() {
    SealedArtifact artifact = sealed();

    assertThat(Custodians.open(artifact, job, nodeA, TIMEOUT)).isEqualTo(MODEL);

    // it stopped at k = 2: the first two released, the third was not asked
    assertThat(actions(0)).containsExactly("share.deposited", "share.bound", "share.released");
    assertThat(actions(1)).containsExactly("share.deposited", "share.bound", "share.released");
    assertThat(actions(2)).containsExactly("share.deposited", "share.bound");
    assertThat(audit(0).getLast().actor()).isEqualTo("node:hospital-a");
    assertThat(audit(0).getLast().jobId()).isEqualTo(job.value());
    for (CustodianServer c : custodians) assertThat(CustodianAudit.verify(c.auditFile()).intact()).isTrue();
  }

  @Test
  void aNodeWithoutAnApprovedAgreementGetsNothingAndEveryCustodianAuditsTheRefusal() {
    SealedArtifact artifact = sealed();

    assertThatThrownBy(() -> Custodians.open(artifact, job, nodeB, TIMEOUT))
        .isInstanceOf(FedGridException.class)
        .hasMessageContaining("only 0 released a share")
        .hasMessageContaining("NO_APPROVED_ASSIGNMENT")
        .hasMessageContaining("node hospital-b holds no APPROVED agreement for job " + job)
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("DATA_KEY_UNAVAILABLE");
    for (int i = 0; i < 3; i++) {
      CustodianAudit.Entry last = audit(i).getLast();
      assertThat(last.action()).isEqualTo("share.refused");
      assertThat(last.outcome()).isEqualTo("NO_APPROVED_ASSIGNMENT");
      assertThat(last.actor()).isEqualTo("node:hospital-b");
      assertThat(CustodianAudit.verify(custodians.get(i).auditFile()).intact()).isTrue();
    }
    // a user certificate (the requestor's own) is no node: refused before the gateway is asked
    assertThatThrownBy(() -> new CustodianClient(urls.get(0), ana, TIMEOUT).release(artifact.artifactId(), job))
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("WRONG_CERTIFICATE_ROLE");
    // the approved node asking for another job's key
    JobId other = JobId.random();
    assertThatThrownBy(() -> new CustodianClient(urls.get(0), nodeA, TIMEOUT).release(artifact.artifactId(), other))
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("WRONG_JOB");
  }

  @Test
  void anyOneCustodianAloneCannotDecrypt() throws Exception {
    SealedArtifact artifact = sealed();
    var mapper = new ObjectMapper();
    for (int i = 0; i < 3; i++) {
      // everything custodian i holds: its store, plus the artifact (say the gateway leaked it)
      var stored = mapper.readTree(dir.resolve("custodian-c" + (i + 1)).resolve(ShareStore.FILE).toFile());
      assertThat(stored).hasSize(1);
      var share = new KeyShare(stored.get(0).get("index").asInt(), Base64.getDecoder().decode(stored.get(0).get("share").asText()));
      byte[] guess = DataKeys.combine(List.of(share));
      assertThatThrownBy(() -> ConfidentialBox.open(artifact, guess))
          .extracting(e -> ((FedGridException) e).code()).isEqualTo("ARTIFACT_DECRYPTION_FAILED");
    }
    // and a node that is approved but reaches only one custodian gets one share, which opens nothing
    KeyShare one = new CustodianClient(urls.get(2), nodeA, TIMEOUT).release(artifact.artifactId(), job);
    assertThatThrownBy(() -> ConfidentialBox.open(artifact, DataKeys.combine(List.of(one))))
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("ARTIFACT_DECRYPTION_FAILED");
  }

  @Test
  void theGatewayAloneCannotDecrypt() throws Exception {
    SealedArtifact artifact = sealed();
    Custodians.open(artifact, job, nodeA, TIMEOUT); // the gateway answers the custodians' assignment checks
    String forGateway = new ObjectMapper().writeValueAsString(artifact);
    List<String> shareValues = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      var stored = new ObjectMapper().readTree(dir.resolve("custodian-c" + (i + 1)).resolve(ShareStore.FILE).toFile());
      shareValues.add(stored.get(0).get("share").asText());
    }
    // what the gateway stores and forwards carries neither the model nor any share nor the key
    assertThat(forGateway).doesNotContain(CANARY).doesNotContain("dense");
    var db = new StringBuilder();
    try (var files = Files.list(dir)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith("gateway.db")).toList()) { // with the write-ahead log
        db.append(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
      }
    }
    String dbText = db.toString();
    assertThat(dbText).as("the gateway's database files were read").contains(job.value());
    for (String s : shareValues) {
      assertThat(forGateway).doesNotContain(s);
      assertThat(dbText).doesNotContain(s).doesNotContain(HexFormat.of().formatHex(Base64.getDecoder().decode(s)));
    }
    assertThat(dbText).doesNotContain(CANARY);
    // a key the gateway could guess or derive from the artifact does not open it
    assertThatThrownBy(() -> ConfidentialBox.open(artifact, DataKeys.fresh(new SecureRandom())))
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("ARTIFACT_DECRYPTION_FAILED");
  }

  @Test
  void withTwoCustodiansDownTheNodeFailsSayingWhy() {
    SealedArtifact artifact = sealed();
    custodians.get(0).close();
    custodians.get(1).close();

    assertThatThrownBy(() -> Custodians.open(artifact, job, nodeA, TIMEOUT))
        .hasMessageContaining("needs 2 of 3 custodians, but only 1 released a share")
        .hasMessageContaining("CUSTODIAN_UNAVAILABLE: custodian " + urls.get(0))
        .hasMessageContaining("CUSTODIAN_UNAVAILABLE: custodian " + urls.get(1))
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("DATA_KEY_UNAVAILABLE");
    assertThat(actions(2)).containsExactly("share.deposited", "share.bound", "share.released");
  }

  @Test
  void aCertificateOfAnotherCaIsRefusedInTheHandshakeAndAnUnboundArtifactIsNotReleased() throws Exception {
    ProjectCa other = ProjectCa.create(dir.resolve("other-pki"), ProjectCa.DEFAULT_NAME, ProjectCa.DEFAULT_VALIDITY, InstantSource.system());
    SSLContext impostor = TlsMaterial.load(other.issue(IssueRequest.of(CertificateRole.NODE, "hospital-a")).directory(), InstantSource.system()).sslContext();
    ConfidentialBox.Sealed unbound = ConfidentialBox.seal(MODEL, ArtifactId.random(), urls, 2, new SecureRandom());
    var client = new CustodianClient(urls.get(0), ana, TIMEOUT);
    client.deposit(unbound.artifact().artifactId(), unbound.shares().get(0), 2);

    assertThatThrownBy(() -> new CustodianClient(urls.get(0), nodeA, TIMEOUT).release(unbound.artifact().artifactId(), job))
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("ARTIFACT_NOT_BOUND");
    assertThatThrownBy(() -> new CustodianClient(urls.get(0), impostor, TIMEOUT).release(unbound.artifact().artifactId(), job))
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("CUSTODIAN_UNAVAILABLE");
    assertThatThrownBy(() -> client.deposit(unbound.artifact().artifactId(), unbound.shares().get(0), 2))
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("SHARE_EXISTS");
    // only the depositor binds, and a binding cannot move
    assertThatThrownBy(() -> new CustodianClient(urls.get(0), tls(CertificateRole.USER, "mallory").sslContext(), TIMEOUT).bind(unbound.artifact().artifactId(), job))
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("NOT_DEPOSITOR");
    client.bind(unbound.artifact().artifactId(), job);
    assertThatThrownBy(() -> client.bind(unbound.artifact().artifactId(), JobId.random()))
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("ARTIFACT_BOUND");
    assertThat(actions(0)).containsExactly("share.deposited", "share.refused", "share.bound");
  }

  @Test
  void aTamperedAuditLogIsDetectedAndTheCustodianRefusesToStartOnIt() throws Exception {
    Custodians.open(sealed(), job, nodeA, TIMEOUT);
    CustodianServer c1 = custodians.removeFirst();
    c1.close();
    Path log = c1.auditFile();
    List<String> lines = Files.readAllLines(log);
    lines.set(2, lines.get(2).replace("node:hospital-a", "node:hospital-z"));
    Files.write(log, lines);

    CustodianAudit.Verification v = CustodianAudit.verify(log);
    assertThat(v.intact()).isFalse();
    assertThat(v.firstBroken()).isEqualTo(3);
    TlsMaterial own = TlsMaterial.load(dir.resolve("pki/custodian/c1"), InstantSource.system());
    assertThatThrownBy(() -> CustodianServer.start(log.getParent(), own, (j, n) -> AssignmentCheck.Answer.yes(), "127.0.0.1", 0, InstantSource.system()))
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("AUDIT_CHAIN_BROKEN");
    assertThat(Files.getPosixFilePermissions(log)).extracting(Object::toString).containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
    assertThat(Files.getPosixFilePermissions(log.resolveSibling(ShareStore.FILE))).extracting(Object::toString)
        .containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
  }

  // ---- helpers

  private SealedArtifact sealed() {
    SealedArtifact artifact = Custodians.sealAndDeposit(MODEL, urls, 2, ana, TIMEOUT, new SecureRandom());
    Custodians.bind(artifact, job, ana, TIMEOUT);
    return artifact;
  }

  private List<CustodianAudit.Entry> audit(int i) {
    return CustodianAudit.read(custodians.get(i).auditFile());
  }

  private List<String> actions(int i) {
    return audit(i).stream().map(CustodianAudit.Entry::action).toList();
  }

  private TlsMaterial tls(CertificateRole role, String name) {
    return TlsMaterial.load(ca.issue(IssueRequest.of(role, name)).directory(), InstantSource.system());
  }

  private Registration register(GatewayServices services, Principal owner, String name) {
    String joinToken = services.joinTokens().issue(owner, Optional.of(name), Duration.ofHours(1)).token();
    long rows = 100;
    var columns = List.of(new ColumnStats("x0", rows, 1.0, 2.0), new ColumnStats("x1", rows, -1.0, 0.5));
    var metadata = new DatasetMetadata("cancer", DatasetFormat.CSV, List.of(2), columns, LabelInfo.categorical("benign", List.of(rows / 2, rows - rows / 2)),
        rows, rows / 10, List.of("health"), Visibility.PUBLIC);
    return coordinator.register(new NodeHello(Optional.empty(), Optional.empty(), name, 2, 1024, "test", List.of(metadata), Optional.of(joinToken)));
  }

  private static AgreementView agreement(Market market, Principal requestor, Principal provider, Registration node, String demand) {
    String offer = market.publishOffer(provider, new OfferTerms(node.nodeId().value(), Map.of("fedgrid.dataset.tags", List.of("health")), null,
        new Price("1", Map.of("examples_epochs", "0.001")))).id();
    AgreementView a = market.createAgreement(requestor, market.propose(requestor, offer, demand).id(), Optional.empty(), Optional.empty());
    return market.confirm(requestor, a.id());
  }
}
