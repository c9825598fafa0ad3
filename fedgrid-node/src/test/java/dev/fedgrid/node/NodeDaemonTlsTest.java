package dev.fedgrid.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.TaskId;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.gateway.fleet.FleetServer;
import dev.fedgrid.gateway.fleet.FleetServerOptions;
import dev.fedgrid.gateway.fleet.TaskAssignment;
import dev.fedgrid.gateway.fleet.TaskKind;
import dev.fedgrid.ml.LocalData;
import dev.fedgrid.proto.fleet.v1.RegisterRequest;
import dev.fedgrid.security.CertificateRole;
import dev.fedgrid.security.IssueRequest;
import dev.fedgrid.security.ProjectCa;
import dev.fedgrid.security.TlsMaterial;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A node dialling a mutual-TLS fleet API on 127.0.0.1 with its --tls-dir. */
@Timeout(30)
class NodeDaemonTlsTest {
  @TempDir Path tmp;
  private ProjectCa ca;
  private FakeBackend backend;
  private FleetServer server;
  private NodeDaemon node;

  @BeforeEach
  void start() {
    ca = ProjectCa.create(tmp.resolve("pki"), ProjectCa.DEFAULT_NAME, ProjectCa.DEFAULT_VALIDITY, InstantSource.system());
    TlsMaterial gateway = TlsMaterial.load(ca.issue(IssueRequest.of(CertificateRole.GATEWAY, "gw")).directory(), InstantSource.system());
    backend = new FakeBackend();
    server = FleetServer.start(backend, "127.0.0.1", 0, FleetServerOptions.builder().shutdownTimeout(Duration.ofSeconds(2)).build(), gateway);
  }

  @AfterEach
  void stop() {
    if (node != null) node.close();
    server.close();
  }

  @Test
  void aNodeWithItsTlsDirectoryRegistersAndTrains() throws Exception {
    Path dir = ca.issue(IssueRequest.of(CertificateRole.NODE, "hospital-a")).directory();
    node = NodeDaemon.start(config("127.0.0.1", dir), NodeDaemonTest.PlusOneEngine::new, NodeDaemonTlsTest::load, true);
    var id = node.awaitRegistration(Duration.ofSeconds(10));

    var layout = ModelSpec.logisticRegression().parameterLayout(List.of(2));
    backend.offer(new TaskAssignment(TaskId.random(), JobId.random(), 1, TaskKind.FIT, backend.datasetId("cancer"), ModelSpec.logisticRegression(),
        TrainingConfig.defaults(), 0.0, FeatureScaling.identity(), layout, Instant.now().plusSeconds(30)), new Parameters(layout, new float[3]));
    long until = System.nanoTime() + 10_000_000_000L;
    while (backend.fits.isEmpty() && System.nanoTime() < until) Thread.sleep(20);
    assertThat(backend.fits).singleElement().satisfies(f -> assertThat(f.node()).isEqualTo(id));
  }

  /**
   * Issue 6: over mutual TLS the node signs its update and its failure report with its
   * certificate's key, and the gateway accepts them (it refuses unsigned ones; see
   * SignedResultsTest in the gateway) and hands on which certificate signed them.
   */
  @Test
  void theNodeSignsItsResultsWithItsCertificate() throws Exception {
    Path dir = ca.issue(IssueRequest.of(CertificateRole.NODE, "hospital-s")).directory();
    String serial = TlsMaterial.load(dir, InstantSource.system()).certificate().getSerialNumber().toString(16);
    node = NodeDaemon.start(config("127.0.0.1", dir), NodeDaemonTest.PlusOneEngine::new, NodeDaemonTlsTest::load, true);
    var id = node.awaitRegistration(Duration.ofSeconds(10));

    var layout = ModelSpec.logisticRegression().parameterLayout(List.of(2));
    var fit = new TaskAssignment(TaskId.random(), JobId.random(), 1, TaskKind.FIT, backend.datasetId("cancer"), ModelSpec.logisticRegression(),
        TrainingConfig.defaults(), 0.0, FeatureScaling.identity(), layout, Instant.now().plusSeconds(30));
    var elsewhere = new TaskAssignment(TaskId.random(), JobId.random(), 1, TaskKind.FIT, dev.fedgrid.api.DatasetId.random(), ModelSpec.logisticRegression(),
        TrainingConfig.defaults(), 0.0, FeatureScaling.identity(), layout, Instant.now().plusSeconds(30)); // a dataset the node does not host
    backend.offer(fit, new Parameters(layout, new float[3]));
    backend.offer(elsewhere, new Parameters(layout, new float[3]));
    long until = System.nanoTime() + 10_000_000_000L;
    while (backend.signed.size() < 2 && System.nanoTime() < until) Thread.sleep(20);

    assertThat(backend.fits).singleElement().satisfies(f -> assertThat(f.task()).isEqualTo(fit.id()));
    assertThat(backend.failures).singleElement().satisfies(f -> assertThat(f.task()).isEqualTo(elsewhere.id()));
    assertThat(backend.signed).hasSize(2).allSatisfy(s -> {
      assertThat(s.node()).isEqualTo(id);
      assertThat(s.signature().certificateSerial()).isEqualTo(serial);
      assertThat(s.signature().certificateSubject()).startsWith("CN=hospital-s,OU=node");
    });
    assertThat(backend.signed).extracting(s -> s.task() + ":" + s.signature().kind())
        .containsExactlyInAnyOrder(fit.id() + ":fit", elsewhere.id() + ":failure");
  }

  @Test
  void aRevokedCertificateStopsTheNodeAtStartNamingIt() {
    Path dir = ca.issue(IssueRequest.of(CertificateRole.NODE, "hospital-b")).directory();
    ca.revoke("hospital-b");
    assertThatThrownBy(() -> NodeDaemon.start(config("127.0.0.1", dir), NodeDaemonTest.PlusOneEngine::new, NodeDaemonTlsTest::load, true))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("CN=hospital-b").hasMessageContaining("was revoked")
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("INVALID_TLS_MATERIAL");
  }

  @Test
  void theNodeDoesNotRegisterWithAGatewayWhoseCertificateDoesNotNameTheHostDialled() {
    server.close();
    Path gw = ca.issue(IssueRequest.of(CertificateRole.GATEWAY, "gw-elsewhere").withDnsNames(List.of("gw.example.org")).withIpAddresses(List.of())).directory();
    server = FleetServer.start(backend, "127.0.0.1", 0, FleetServerOptions.defaults(), TlsMaterial.load(gw, InstantSource.system()));
    Path dir = ca.issue(IssueRequest.of(CertificateRole.NODE, "hospital-c")).directory();
    node = NodeDaemon.start(config("127.0.0.1", dir), NodeDaemonTest.PlusOneEngine::new, NodeDaemonTlsTest::load, true);
    assertThatThrownBy(() -> node.awaitRegistration(Duration.ofSeconds(1))).isInstanceOf(TimeoutException.class);
    assertThat(backend.hellos).isEmpty();
  }

  @Test
  void anExpiredCertificateStopsTheNodeAtStartNamingIt() {
    Instant past = Instant.now().minus(Duration.ofDays(10));
    Path dir = ProjectCa.open(ca.directory(), () -> past).issue(IssueRequest.of(CertificateRole.NODE, "hospital-old").withValidity(Duration.ofDays(1))).directory();
    assertThatThrownBy(() -> NodeDaemon.start(config("127.0.0.1", dir), NodeDaemonTest.PlusOneEngine::new, NodeDaemonTlsTest::load, true))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("CN=hospital-old").hasMessageContaining("expired at")
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("INVALID_TLS_MATERIAL");
  }

  @Test
  void aNodeWithACertificateOfAnotherCaNeverRegisters() throws Exception {
    ProjectCa other = ProjectCa.create(tmp.resolve("other-pki"), "Other CA", ProjectCa.DEFAULT_VALIDITY, InstantSource.system());
    Path dir = other.issue(IssueRequest.of(CertificateRole.NODE, "hospital-x")).directory();
    node = NodeDaemon.start(config("127.0.0.1", dir), NodeDaemonTest.PlusOneEngine::new, NodeDaemonTlsTest::load, true);
    assertThatThrownBy(() -> node.awaitRegistration(Duration.ofSeconds(1))).isInstanceOf(TimeoutException.class);
    assertThat(backend.hellos).isEmpty();
    // and why: the node refuses the gateway's certificate, which its own CA did not issue
    try (var client = new GatewayClient(config("127.0.0.1", dir), "test", TlsMaterial.load(dir, InstantSource.system()))) {
      var e = catchThrowable(() -> client.register(RegisterRequest.newBuilder().setName("hospital-x").build()));
      assertThat(NodeDaemon.tlsReason(e)).contains("CN=gw").contains("not by this project's CA 'CN=Other CA");
    }
  }

  @Test
  void aNodeOnTlsDiallingAPlaintextGatewaySaysSo() throws Exception {
    server.close();
    server = FleetServer.start(backend, "127.0.0.1", 0, FleetServerOptions.defaults()); // --insecure
    Path dir = ca.issue(IssueRequest.of(CertificateRole.NODE, "hospital-p")).directory();
    try (var client = new GatewayClient(config("127.0.0.1", dir), "test", TlsMaterial.load(dir, InstantSource.system()))) {
      var e = catchThrowable(() -> client.register(RegisterRequest.newBuilder().setName("hospital-p").build()));
      assertThat(e).isInstanceOf(GatewayException.class);
      assertThat(NodeDaemon.tlsReason(e)).contains("does not speak TLS").contains("--insecure");
    }
    assertThat(backend.hellos).isEmpty();
  }

  /**
   * Issue 6: the bytes on the fleet socket for one round (registration, the task, the global
   * parameters down, the update up) hold neither the global parameters nor the update as float32
   * bytes. The same round in plaintext, recorded the same way, does show both: the search would
   * find them.
   */
  @Test
  void theFleetSocketCarriesNoModelParametersInTheClear() throws Exception {
    float[] global = {1234.5678f, -98.7654f, 4242.4242f};
    float[] update = {1235.5678f, -97.7654f, 4243.4242f}; // what PlusOneEngine returns
    Path dir = ca.issue(IssueRequest.of(CertificateRole.NODE, "hospital-w")).directory();
    byte[] onTls = oneRound(server, backend, dir, global);
    byte[][] needles = {float32(global), float32(update)};
    for (byte[] needle : needles) {
      for (int i = 0; i + 8 <= needle.length; i += 4) {
        assertThat(RecordingProxy.contains(onTls, java.util.Arrays.copyOfRange(needle, i, i + 8))).as("8 bytes of parameters at %d on TLS", i).isFalse();
      }
    }

    var plainBackend = new FakeBackend();
    try (FleetServer plain = FleetServer.start(plainBackend, "127.0.0.1", 0, FleetServerOptions.builder().shutdownTimeout(Duration.ofSeconds(2)).build())) {
      byte[] inClear = oneRound(plain, plainBackend, null, global);
      for (byte[] needle : needles) assertThat(RecordingProxy.contains(inClear, needle)).as("the parameters in plaintext").isTrue();
    }
  }

  /** Runs one fit of {@code global} by a node dialling {@code server} through a recording proxy; returns what the proxy saw. */
  private byte[] oneRound(FleetServer server, FakeBackend backend, Path tlsDir, float[] global) throws Exception {
    try (var proxy = new RecordingProxy(server.port())) {
      NodeConfig.Builder b = NodeConfig.builder()
          .gateway("127.0.0.1", proxy.port())
          .nodeName(tlsDir == null ? "hospital-plain" : tlsDir.getFileName().toString())
          .dataDir(tmp.resolve("node-" + System.nanoTime()))
          .dataset(DatasetOption.parse("name=cancer,path=unused.csv,label=benign"))
          .pollWait(Duration.ofSeconds(2))
          .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500));
      if (tlsDir != null) b.tlsDir(tlsDir);
      try (NodeDaemon daemon = NodeDaemon.start(b.build(), NodeDaemonTest.PlusOneEngine::new, NodeDaemonTlsTest::load, true)) {
        var id = daemon.awaitRegistration(Duration.ofSeconds(10));
        var layout = ModelSpec.logisticRegression().parameterLayout(List.of(2));
        backend.offer(new TaskAssignment(TaskId.random(), JobId.random(), 1, TaskKind.FIT, backend.datasetId("cancer"), ModelSpec.logisticRegression(),
            TrainingConfig.defaults(), 0.0, FeatureScaling.identity(), layout, Instant.now().plusSeconds(30)), new Parameters(layout, global.clone()));
        long until = System.nanoTime() + 10_000_000_000L;
        while (backend.fits.isEmpty() && System.nanoTime() < until) Thread.sleep(20);
        assertThat(backend.fits).singleElement().satisfies(f -> {
          assertThat(f.node()).isEqualTo(id);
          assertThat(f.parameters().values()).containsExactly(global[0] + 1, global[1] + 1, global[2] + 1); // the update arrived intact
        });
      }
      return proxy.recorded();
    }
  }

  private static byte[] float32(float[] values) {
    var buffer = java.nio.ByteBuffer.allocate(values.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (float v : values) buffer.putFloat(v);
    return buffer.array();
  }

  @Test
  void theLogSaysWhyTheHandshakeFailed() {
    var refused = new java.security.cert.CertificateException("certificate 'CN=gw' is for DNS:gw.example.org, not '127.0.0.1'");
    var handshake = new javax.net.ssl.SSLHandshakeException("General OpenSslEngine problem");
    handshake.initCause(refused);
    assertThat(NodeDaemon.tlsReason(new RuntimeException("io exception", handshake))).isEqualTo(": " + refused.getMessage());
    assertThat(NodeDaemon.tlsReason(new RuntimeException("ssl exception", new javax.net.ssl.SSLException("SSLV3_ALERT_CERTIFICATE_REVOKED"))))
        .isEqualTo(": SSLV3_ALERT_CERTIFICATE_REVOKED");
    assertThat(NodeDaemon.tlsReason(new RuntimeException("connection refused"))).isEmpty();
  }

  private NodeConfig config(String host, Path tlsDir) {
    return NodeConfig.builder()
        .gateway(host, server.port())
        .nodeName(tlsDir.getFileName().toString()) // over mutual TLS a node registers under its certificate's name
        .dataDir(tmp.resolve("node-" + System.nanoTime()))
        .dataset(DatasetOption.parse("name=cancer,path=unused.csv,label=benign"))
        .pollWait(Duration.ofSeconds(2))
        .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
        .tlsDir(tlsDir)
        .build();
  }

  private static DatasetLoader.Loaded load(DatasetOption option) {
    return new DatasetLoader.Loaded(
        NodeDaemonTest.metadata(),
        new LocalData(List.of(2), new float[16], new float[] {0, 1, 0, 1, 0, 1, 0, 1}, 8),
        new LocalData(List.of(2), new float[4], new float[] {0, 1}, 2));
  }
}
