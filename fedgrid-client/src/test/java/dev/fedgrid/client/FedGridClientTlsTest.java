package dev.fedgrid.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.gateway.Gateway;
import dev.fedgrid.gateway.GatewayConfig;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.security.CertificateRole;
import dev.fedgrid.security.IssueRequest;
import dev.fedgrid.security.ProjectCa;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control API over HTTPS on real sockets: a client trusting the project CA gets in; one
 * trusting another CA, or dialling a host the certificate does not name, is refused with a message
 * naming the gateway's certificate; plain HTTP to the HTTPS port gets no answer, and HTTPS to a
 * gateway started without TLS ({@code --insecure}) says so.
 */
@Timeout(60)
class FedGridClientTlsTest {
  @TempDir static Path dir;

  static ProjectCa ca;
  static Gateway tls;
  static Gateway insecure;

  @BeforeAll
  static void start() {
    ca = ProjectCa.create(dir.resolve("pki"), "Test CA", Duration.ofDays(30), InstantSource.system());
    // names 127.0.0.1 only, so that dialling "localhost" is a host name mismatch
    Path gw = ca.issue(IssueRequest.of(CertificateRole.GATEWAY, "gw").withDnsNames(List.of()).withIpAddresses(List.of("127.0.0.1")).withValidity(Duration.ofDays(1))).directory();
    var timing = new CoordinatorOptions(Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofMillis(100));
    tls = Gateway.start(new GatewayConfig(dir.resolve("tls"), "127.0.0.1", 0, 0, timing).withTls(gw));
    insecure = Gateway.start(new GatewayConfig(dir.resolve("insecure"), "127.0.0.1", 0, 0, timing));
  }

  @AfterAll
  static void stop() {
    if (tls != null) tls.close();
    if (insecure != null) insecure.close();
  }

  @Test
  void aClientTrustingTheProjectCaTalksToTheGatewayOverHttps() {
    assertThat(tls.tls()).isTrue();
    try (var c = FedGridClient.builder().baseUri("https://127.0.0.1:" + tls.controlPort()).trustCa(ca.directory().resolve("ca.pem")).build()) {
      assertThat(c.health().status()).isEqualTo("ok");
    }
  }

  @Test
  void aClientTrustingAnotherCaIsRefusedNamingTheCertificate() {
    ProjectCa other = ProjectCa.create(dir.resolve("other-pki"), "Other CA", Duration.ofDays(30), InstantSource.system());
    Path otherCa = other.directory().resolve("ca.pem");
    try (var c = FedGridClient.builder().baseUri("https://127.0.0.1:" + tls.controlPort()).trustCa(otherCa).build()) {
      assertThatThrownBy(c::health).isInstanceOfSatisfying(UnavailableException.class, e -> {
        assertThat(e.code()).isEqualTo("GATEWAY_TLS_FAILED");
        assertThat(e.getMessage()).contains("certificate 'CN=gw,OU=gateway,O=FedGrid'").contains("issued by 'CN=Test CA")
            .contains("is not trusted").contains(otherCa.toString()).contains("--ca");
      });
    }
  }

  @Test
  void aClientWithoutTheProjectCaIsToldToPassIt() {
    try (var c = FedGridClient.builder().baseUri("https://127.0.0.1:" + tls.controlPort()).build()) { // the JDK's trust store
      assertThatThrownBy(c::health).isInstanceOfSatisfying(UnavailableException.class, e -> {
        assertThat(e.code()).isEqualTo("GATEWAY_TLS_FAILED");
        assertThat(e.getMessage()).contains("trustCa").contains("--ca");
      });
    }
  }

  @Test
  void aHostTheCertificateDoesNotNameIsRefusedNamingTheCertificate() {
    try (var c = FedGridClient.builder().baseUri("https://localhost:" + tls.controlPort()).trustCa(ca.directory().resolve("ca.pem")).build()) {
      assertThatThrownBy(c::health).isInstanceOfSatisfying(UnavailableException.class, e -> {
        assertThat(e.code()).isEqualTo("GATEWAY_TLS_FAILED");
        assertThat(e.getMessage()).contains("certificate 'CN=gw,OU=gateway,O=FedGrid'").contains("localhost")
            .contains("fedgrid pki issue gateway NAME --dns HOST");
      });
    }
  }

  @Test
  void plainHttpToTheHttpsPortGetsNoAnswer() throws Exception {
    try (var c = FedGridClient.builder().baseUri("http://127.0.0.1:" + tls.controlPort()).timeout(Duration.ofSeconds(5)).build()) {
      assertThatThrownBy(c::health).isInstanceOfSatisfying(FedGridException.class,
          e -> assertThat(e.getMessage()).contains("https://127.0.0.1:" + tls.controlPort()));
    }
    // on the socket: no HTTP answer comes back, whatever the server does with the bytes
    try (var socket = new Socket(InetAddress.getLoopbackAddress(), tls.controlPort())) {
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      out.write("GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] answer;
      try {
        answer = in.readNBytes(64);
      } catch (java.io.IOException e) {
        answer = new byte[0]; // reset: refused
      }
      assertThat(new String(answer, StandardCharsets.ISO_8859_1)).doesNotContain("HTTP/1.1").doesNotContain("ok");
    }
  }

  @Test
  void httpsToAGatewayWithoutTlsSaysSo() {
    assertThat(insecure.tls()).isFalse();
    try (var c = FedGridClient.builder().baseUri("https://127.0.0.1:" + insecure.controlPort()).trustCa(ca.directory().resolve("ca.pem")).build()) {
      assertThatThrownBy(c::health).isInstanceOfSatisfying(UnavailableException.class, e -> {
        assertThat(e.code()).isEqualTo("GATEWAY_TLS_FAILED");
        assertThat(e.getMessage()).contains("does not speak TLS").contains("--insecure").contains("http://127.0.0.1:" + insecure.controlPort());
      });
    }
  }

  @Test
  void aMissingCaFileIsRefusedWhenTheClientIsBuilt() throws Exception {
    Path missing = dir.resolve("nothing.pem");
    assertThatThrownBy(() -> FedGridClient.builder().trustCa(missing)).isInstanceOfSatisfying(FedGridException.class, e -> {
      assertThat(e.code()).isEqualTo("INVALID_CA_FILE");
      assertThat(e.getMessage()).contains(missing.toString());
    });
    Path empty = Files.writeString(dir.resolve("empty.pem"), "not a certificate\n");
    assertThatThrownBy(() -> FedGridClient.builder().trustCa(empty)).isInstanceOfSatisfying(FedGridException.class, e -> assertThat(e.code()).isEqualTo("INVALID_CA_FILE"));
  }
}
