package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.client.FedGridClient;
import dev.fedgrid.proto.fleet.v1.FleetGrpc;
import dev.fedgrid.proto.fleet.v1.RegisterRequest;
import dev.fedgrid.security.CertificateRole;
import dev.fedgrid.security.IssueRequest;
import dev.fedgrid.security.ProjectCa;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transport security across processes over real sockets: a gateway process on TLS (the default),
 * and node processes whose certificate comes from another CA, has expired, or was revoked, each
 * refused with a reason naming the certificate; plaintext clients of both APIs get nowhere.
 */
class TlsIT {
  @TempDir Path dir;

  @Test
  void nodesWithTheWrongCertificateAndPlaintextClientsAreRefused() throws Exception {
    try (LocalGrid grid = new LocalGrid(dir).startGateway()) {
      ProjectCa ca = grid.ca().orElseThrow();
      String dataset = "name=cancer,path=" + Cluster.splitCancer(dir.resolve("data"), 1, 1).getFirst() + ",label=benign";

      // another project's CA: the node refuses the gateway's certificate and says which CA it expected
      ProjectCa other = ProjectCa.create(dir.resolve("other-pki"), "Other CA", Duration.ofDays(30), InstantSource.system());
      Path stranger = other.issue(IssueRequest.of(CertificateRole.NODE, "stranger").withValidity(Duration.ofDays(1))).directory();
      try (ChildProcess node = node(grid, "stranger", stranger, dataset)) {
        awaitLog(node, "not by this project's CA 'CN=Other CA");
        assertThat(Files.readString(node.log())).contains("unreachable").contains("certificate 'CN=gateway,OU=gateway,O=FedGrid'");
        assertThat(node.alive()).isTrue(); // it keeps retrying, as for any unreachable gateway
      }

      // revoked: refused at start, naming the certificate
      Path revoked = ca.issue(IssueRequest.of(CertificateRole.NODE, "revoked").withValidity(Duration.ofDays(1))).directory();
      ca.revoke("revoked");
      try (ChildProcess node = node(grid, "revoked", revoked, dataset)) {
        assertThatThrownBy(() -> node.awaitReady(Duration.ofMinutes(1))).hasMessageContaining("exited with code 1");
        assertThat(Files.readString(node.log())).contains("certificate 'CN=revoked,OU=node,O=FedGrid'").contains("was revoked at")
            .contains("(INVALID_TLS_MATERIAL)");
      }

      // expired: issued on a clock ten days late, valid for one day
      Path expired = ProjectCa.open(ca.directory(), () -> Instant.now().minus(Duration.ofDays(10)))
          .issue(IssueRequest.of(CertificateRole.NODE, "expired").withValidity(Duration.ofDays(1))).directory();
      try (ChildProcess node = node(grid, "expired", expired, dataset)) {
        assertThatThrownBy(() -> node.awaitReady(Duration.ofMinutes(1))).hasMessageContaining("exited with code 1");
        assertThat(Files.readString(node.log())).contains("certificate 'CN=expired,OU=node,O=FedGrid'").contains("expired at")
            .contains("(INVALID_TLS_MATERIAL)");
      }
      assertThat(grid.client().nodes()).isEmpty();

      // plaintext gRPC to the fleet API
      ManagedChannel plain = NettyChannelBuilder.forTarget(grid.fleetAddress()).usePlaintext().build();
      try {
        var e = catchThrowableOfType(StatusRuntimeException.class, () -> FleetGrpc.newBlockingStub(plain).withDeadlineAfter(10, TimeUnit.SECONDS)
            .register(RegisterRequest.newBuilder().setName("plain").build()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      } finally {
        plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      // plain HTTP to the control API
      String http = grid.controlUrl().replace("https://", "http://");
      try (var client = FedGridClient.builder().baseUri(http).timeout(Duration.ofSeconds(10)).build()) {
        assertThatThrownBy(client::health).isInstanceOf(FedGridException.class).hasMessageContaining("use " + grid.controlUrl());
      }
      assertThat(grid.client().health().status()).isEqualTo("ok"); // while HTTPS with the CA works
    }
  }

  private ChildProcess node(LocalGrid grid, String name, Path tlsDir, String dataset) throws Exception {
    return ChildProcess.start(name, dir.resolve("logs").resolve(name + ".log"), LocalGrid.NODE_READY,
        List.of("node", "start", "--gateway", grid.fleetAddress(), "--name", name, "--data-dir", dir.resolve(name).toString(),
            "--tls-dir", tlsDir.toString(), "--dataset", dataset));
  }

  private static void awaitLog(ChildProcess process, String text) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (!Files.exists(process.log()) || !Files.readString(process.log()).contains(text)) {
      if (System.nanoTime() > deadline) throw new AssertionError("no '" + text + "' in " + process.log() + " within a minute:\n" + process.tail());
      Thread.sleep(200);
    }
  }
}
