package dev.fedgrid.gateway.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.fedgrid.proto.fleet.v1.FleetGrpc;
import dev.fedgrid.proto.fleet.v1.RegisterRequest;
import dev.fedgrid.proto.fleet.v1.RegisterResponse;
import dev.fedgrid.security.CertificateRole;
import dev.fedgrid.security.IssueRequest;
import dev.fedgrid.security.IssuedCertificate;
import dev.fedgrid.security.ProjectCa;
import dev.fedgrid.security.TlsMaterial;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
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

/** The fleet API over mutual TLS on 127.0.0.1: who gets in, who is refused and why. */
@Timeout(30)
class FleetServerTlsTest {
  @TempDir static Path tmp;

  static ProjectCa ca;
  static TlsMaterial gateway;
  static FleetServer server;

  @BeforeAll
  static void start() {
    Instant now = Instant.now();
    ca = ProjectCa.create(tmp.resolve("pki"), "Test project CA", ProjectCa.DEFAULT_VALIDITY, () -> now.minus(Duration.ofDays(10)));
    ca.issue(IssueRequest.of(CertificateRole.NODE, "expired").withValidity(Duration.ofDays(1)));
    ca = ProjectCa.open(ca.directory(), InstantSource.system());
    gateway = TlsMaterial.load(ca.issue(IssueRequest.of(CertificateRole.GATEWAY, "gw")).directory(), InstantSource.system());
    server = FleetServer.start(new RecordingBackend(), "127.0.0.1", 0, FleetServerOptions.defaults(), gateway);
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
      assertThat(call(ch).getNodeId()).startsWith("node_");
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aRevokedCertificateIsRefused() throws Exception {
    TlsMaterial node = issue(CertificateRole.NODE, "node-revoked");
    ManagedChannel before = channel(node, node);
    try {
      assertThat(call(before).getNodeId()).startsWith("node_"); // admitted before the revocation
    } finally {
      before.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    ca.revoke("node-revoked"); // the gateway re-reads crl.pem in its directory at the next handshake

    assertRefused(node, node, "certificate_revoked");
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

  private static RegisterResponse call(ManagedChannel ch) {
    return FleetGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
        .register(RegisterRequest.newBuilder().setName("node-a").setCores(1).setMemoryMib(1024).setVersion("0.1.0")
            .addDatasetMetadataJson(FleetMessages.toJson(FleetServerTest.metadata())).build());
  }
}
