package dev.fedgrid.gateway.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.fedgrid.proto.fleet.v1.FleetGrpc;
import dev.fedgrid.proto.fleet.v1.HeartbeatRequest;
import dev.fedgrid.proto.fleet.v1.RegisterRequest;
import dev.fedgrid.proto.fleet.v1.RegisterResponse;
import dev.fedgrid.security.CertificateRole;
import dev.fedgrid.security.IssueRequest;
import dev.fedgrid.security.IssuedCertificate;
import dev.fedgrid.security.ProjectCa;
import dev.fedgrid.security.TlsMaterial;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet API over mutual TLS on 127.0.0.1: who gets in, who is refused and why, and that a
 * node's identity is its certificate.
 */
@Timeout(30)
class FleetServerTlsTest {
  @TempDir static Path tmp;

  static ProjectCa ca;
  static TlsMaterial gateway;
  static RecordingBackend backend;
  static FleetServer server;

  @BeforeAll
  static void start() {
    Instant now = Instant.now();
    ca = ProjectCa.create(tmp.resolve("pki"), "Test project CA", ProjectCa.DEFAULT_VALIDITY, () -> now.minus(Duration.ofDays(10)));
    ca.issue(IssueRequest.of(CertificateRole.NODE, "expired").withValidity(Duration.ofDays(1)));
    ca = ProjectCa.open(ca.directory(), InstantSource.system());
    gateway = TlsMaterial.load(ca.issue(IssueRequest.of(CertificateRole.GATEWAY, "gw")).directory(), InstantSource.system());
    backend = new RecordingBackend();
    server = FleetServer.start(backend, "127.0.0.1", 0, FleetServerOptions.defaults(), gateway);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void aNodeWithACertificateOfTheProjectCaRegisters() throws Exception {
    TlsMaterial node = issue(CertificateRole.NODE, "node-ok");
    ManagedChannel ch = channel(node, node);
    try {
      assertThat(register(ch, "node-ok").getNodeId()).startsWith("node_");
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aNodeActsUnderItsOwnCertificate() throws Exception {
    TlsMaterial a = issue(CertificateRole.NODE, "node-self");
    ManagedChannel ch = channel(a, a);
    try {
      RegisterResponse r = register(ch, "node-self");
      heartbeat(ch, r.getNodeId(), r.getNodeToken()); // no exception
      assertThat(register(ch, "node-self", r).getNodeId()).isEqualTo(r.getNodeId()); // and returns with its id
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aNodeCannotRegisterUnderAnotherNodesName() throws Exception {
    issue(CertificateRole.NODE, "node-a1");
    TlsMaterial b = issue(CertificateRole.NODE, "node-b1");
    ManagedChannel ch = channel(b, b);
    try {
      var e = catchThrowableOfType(StatusRuntimeException.class, () -> register(ch, "node-a1"));
      assertDenied(e, "CERTIFICATE_NAME_MISMATCH");
      assertThat(e.getStatus().getDescription())
          .contains("node registers as 'node-a1' but its certificate is for 'node-b1'")
          .contains("fedgrid pki issue node node-a1");
      assertThat(backend.hellos).noneMatch(h -> h.name().equals("node-a1"));
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aUserCertificateCannotRegisterAsANode() throws Exception {
    TlsMaterial user = issue(CertificateRole.USER, "node-u1");
    ManagedChannel ch = channel(user, user);
    try {
      var e = catchThrowableOfType(StatusRuntimeException.class, () -> register(ch, "node-u1"));
      assertDenied(e, "CERTIFICATE_NAME_MISMATCH");
      assertThat(e.getStatus().getDescription()).contains("but its certificate is for 'node-u1' (a user certificate, not a node's)");
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Issue 6: "a node cannot act as another (a test tries)". */
  @Test
  void aNodeCannotActAsAnotherWithItsIdAndToken() throws Exception {
    TlsMaterial a = issue(CertificateRole.NODE, "node-a2");
    TlsMaterial b = issue(CertificateRole.NODE, "node-b2");
    ManagedChannel chA = channel(a, a);
    ManagedChannel chB = channel(b, b);
    try {
      RegisterResponse ra = register(chA, "node-a2");
      register(chB, "node-b2");
      int heartbeats = backend.heartbeats.get();

      // B, holding its own certificate, calls with A's stolen id and token
      var e = catchThrowableOfType(StatusRuntimeException.class, () -> heartbeat(chB, ra.getNodeId(), ra.getNodeToken()));
      assertDenied(e, "NODE_IDENTITY_MISMATCH");
      assertThat(e.getStatus().getDescription())
          .contains("certificate for 'node-b2'").contains("node " + ra.getNodeId()).contains("registered as 'node-a2'")
          .doesNotContain(ra.getNodeToken());
      assertThat(backend.heartbeats.get()).isEqualTo(heartbeats);

      // nor can B re-register as itself with A's id and token, which would take over A's id
      var again = catchThrowableOfType(StatusRuntimeException.class, () -> register(chB, "node-b2", ra));
      assertDenied(again, "NODE_IDENTITY_MISMATCH");
      assertThat(backend.nodeName(dev.fedgrid.api.NodeId.of(ra.getNodeId()))).contains("node-a2");

      heartbeat(chA, ra.getNodeId(), ra.getNodeToken()); // A itself still gets in
    } finally {
      chA.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      chB.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aRevokedCertificateIsRefused() throws Exception {
    TlsMaterial node = issue(CertificateRole.NODE, "node-revoked");
    ManagedChannel before = channel(node, node);
    try {
      assertThat(register(before, "node-revoked").getNodeId()).startsWith("node_"); // admitted before the revocation
    } finally {
      before.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    ca.revoke("node-revoked"); // the gateway re-reads crl.pem in its directory at the next handshake

    assertRefused(node, node, "certificate_revoked");
  }

  /** Issue 6: revoking a node cuts it off on the connection it already has open, at its next call. */
  @Test
  void aRevokedNodesOpenConnectionGetsNoFurtherCall() throws Exception {
    TlsMaterial node = issue(CertificateRole.NODE, "node-cut");
    ManagedChannel ch = channel(node, node);
    try {
      RegisterResponse r = register(ch, "node-cut");
      heartbeat(ch, r.getNodeId(), r.getNodeToken()); // the connection is open and admitted
      int heartbeats = backend.heartbeats.get();

      ca.revoke("node-cut");

      var e = catchThrowableOfType(StatusRuntimeException.class, () -> heartbeat(ch, r.getNodeId(), r.getNodeToken()));
      assertThat(e).isNotNull();
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(e.getTrailers().get(FleetErrors.CODE_KEY)).isEqualTo("CERTIFICATE_NO_LONGER_VALID");
      assertThat(e.getStatus().getDescription()).contains("CN=node-cut").contains("was revoked");
      assertThat(backend.heartbeats.get()).isEqualTo(heartbeats);
      var again = catchThrowableOfType(StatusRuntimeException.class, () -> register(ch, "node-cut", r)); // nor may it register again on it
      assertThat(again.getTrailers().get(FleetErrors.CODE_KEY)).isEqualTo("CERTIFICATE_NO_LONGER_VALID");
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void anExpiredCertificateIsRefused() throws Exception {
    Path dir = ca.directory().resolve("node/expired");
    TlsMaterial expired = TlsMaterial.load(dir, () -> Instant.now().minus(Duration.ofDays(10))); // loads only on a clock 10 days late
    assertRefused(expired, issue(CertificateRole.NODE, "trust-for-expired"), "certificate_expired");
  }

  @Test
  void aCertificateOfAnotherCaIsRefused() throws Exception {
    ProjectCa other = ProjectCa.create(tmp.resolve("other-" + System.nanoTime()), "Other CA", ProjectCa.DEFAULT_VALIDITY, InstantSource.system());
    TlsMaterial stranger = TlsMaterial.load(other.issue(IssueRequest.of(CertificateRole.NODE, "stranger")).directory(), InstantSource.system());
    TlsMaterial trust = issue(CertificateRole.NODE, "trust-only");
    assertRefused(stranger, trust, "unknown_ca");
  }

  @Test
  void aPlaintextClientIsRefused() throws Exception {
    ManagedChannel plain = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    try {
      var e = catchThrowableOfType(StatusRuntimeException.class, () -> call(plain));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    } finally {
      plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void theNodeRefusesAGatewayThatDoesNotServeTheDialledName() throws Exception {
    TlsMaterial node = issue(CertificateRole.NODE, "node-host");
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", server.port())
        .overrideAuthority("gw.example.org")
        .sslContext(GrpcSslContexts.forClient().keyManager(node.privateKey(), node.certificate()).trustManager(node.trustManager()).build())
        .build();
    try {
      var e = catchThrowableOfType(StatusRuntimeException.class, () -> call(ch));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(causes(e)).contains("is for DNS:localhost, IP:127.0.0.1, not 'gw.example.org'");
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  // ---------------------------------------------------------------- helpers

  /** The client sees the TLS alert naming the reason; the gateway logs it naming the certificate. */
  private static void assertRefused(TlsMaterial identity, TlsMaterial trust, String alert) throws Exception {
    ManagedChannel ch = channel(identity, trust);
    try {
      var e = catchThrowableOfType(StatusRuntimeException.class, () -> call(ch));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(causes(e).toLowerCase(java.util.Locale.ROOT)).contains(alert);
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static String causes(Throwable e) {
    var sb = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) sb.append(t).append(" <- ");
    return sb.toString();
  }

  private static TlsMaterial issue(CertificateRole role, String name) {
    IssuedCertificate c = ca.issue(IssueRequest.of(role, name));
    return TlsMaterial.load(c.directory(), InstantSource.system());
  }

  /** A channel presenting {@code identity}'s certificate and trusting {@code trust}'s CA. */
  private static ManagedChannel channel(TlsMaterial identity, TlsMaterial trust) throws SSLException {
    return NettyChannelBuilder.forAddress("127.0.0.1", server.port())
        .sslContext(GrpcSslContexts.forClient()
            .keyManager(identity.privateKey(), identity.chain().toArray(X509Certificate[]::new))
            .trustManager(trust.trustManager())
            .build())
        .build();
  }

  /** A registration that the handshake is expected to refuse before its name matters. */
  private static RegisterResponse call(ManagedChannel ch) {
    return register(ch, "node-a");
  }

  private static RegisterResponse register(ManagedChannel ch, String name) {
    return FleetGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS).register(hello(name).build());
  }

  /** Registers again presenting {@code earlier}'s id and token. */
  private static RegisterResponse register(ManagedChannel ch, String name, RegisterResponse earlier) {
    return FleetGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
        .register(hello(name).setNodeId(earlier.getNodeId()).setNodeToken(earlier.getNodeToken()).build());
  }

  private static RegisterRequest.Builder hello(String name) {
    return RegisterRequest.newBuilder().setName(name).setCores(1).setMemoryMib(1024).setVersion("0.1.0")
        .addDatasetMetadataJson(FleetMessages.toJson(FleetServerTest.metadata()));
  }

  private static void heartbeat(ManagedChannel ch, String nodeId, String token) {
    var headers = new Metadata();
    headers.put(AuthInterceptor.NODE_ID_KEY, nodeId);
    headers.put(AuthInterceptor.NODE_TOKEN_KEY, token);
    FleetGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .heartbeat(HeartbeatRequest.newBuilder().setNodeId(nodeId).build());
  }

  private static void assertDenied(StatusRuntimeException e, String code) {
    assertThat(e).isNotNull();
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(e.getTrailers().get(FleetErrors.CODE_KEY)).isEqualTo(code);
  }
}
