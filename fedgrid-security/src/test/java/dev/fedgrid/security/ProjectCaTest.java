package dev.fedgrid.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProjectCaTest {
  @TempDir Path tmp;

  private ProjectCa newCa() {
    return ProjectCa.create(tmp.resolve("pki"), ProjectCa.DEFAULT_NAME, ProjectCa.DEFAULT_VALIDITY, InstantSource.system());
  }

  @Test
  void createsTheCaWithPrivateKeyFilesAndDirectories() throws Exception {
    ProjectCa ca = newCa();
    Path dir = ca.directory();

    assertThat(perms(dir)).isEqualTo("rwx------");
    assertThat(perms(dir.resolve("ca-key.pem"))).isEqualTo("rw-------");
    assertThat(Files.readString(dir.resolve("ca-key.pem"))).startsWith("-----BEGIN PRIVATE KEY-----");
    X509Certificate cert = ca.certificate();
    assertThat(cert.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(cert.getSigAlgName()).isEqualTo("SHA256withECDSA");
    assertThat(Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant())).isGreaterThan(Duration.ofDays(3649));
    assertThat(ca.crl().getRevokedCertificates()).isNull();
    assertThatThrownBy(this::newCa).isInstanceOf(ConflictException.class).extracting(e -> ((FedGridException) e).code()).isEqualTo("PKI_EXISTS");
    assertThatThrownBy(() -> ProjectCa.open(tmp.resolve("none"), InstantSource.system())).isInstanceOf(NotFoundException.class);
  }

  @Test
  void issuesGatewayNodeAndUserCertificatesIntoTheirOwnDirectories() throws Exception {
    ProjectCa ca = newCa();
    IssuedCertificate gw = ca.issue(IssueRequest.of(CertificateRole.GATEWAY, "gw-1").withDnsNames(List.of("localhost", "gw.example.org")));
    IssuedCertificate node = ca.issue(IssueRequest.of(CertificateRole.NODE, "hospital-a").withValidity(Duration.ofDays(30)));
    IssuedCertificate user = ca.issue(IssueRequest.of(CertificateRole.USER, "alice"));

    assertThat(gw.directory()).isEqualTo(ca.directory().resolve("gateway/gw-1"));
    assertThat(perms(node.directory())).isEqualTo("rwx------");
    assertThat(perms(node.directory().resolve("key.pem"))).isEqualTo("rw-------");
    assertThat(List.of(gw.serial(), node.serial(), user.serial())).doesNotHaveDuplicates();
    assertThat(Duration.between(node.notBefore(), node.notAfter())).isBetween(Duration.ofDays(30), Duration.ofDays(30).plusMinutes(2));

    TlsMaterial gwTls = TlsMaterial.load(gw.directory(), InstantSource.system()).requireServerAuth();
    assertThat(gwTls.certificate().getExtendedKeyUsage()).containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
    assertThat(gwTls.certificate().getSubjectAlternativeNames()).extracting(san -> (Object) san.get(1))
        .containsExactlyInAnyOrder("localhost", "gw.example.org", "127.0.0.1");
    assertThat(gwTls.toString()).contains("gw-1").doesNotContain("PRIVATE");

    TlsMaterial nodeTls = TlsMaterial.load(node.directory(), InstantSource.system());
    assertThat(nodeTls.certificate().getSubjectX500Principal().getName()).contains("CN=hospital-a").contains("OU=node");
    assertThat(nodeTls.commonName()).isEqualTo("hospital-a");
    assertThat(nodeTls.certificate().getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    assertThatThrownBy(nodeTls::requireServerAuth).hasMessageContaining("gateway certificate");

    assertThat(ca.list()).extracting(IssuedCertificate::name).containsExactlyInAnyOrder("gw-1", "hospital-a", "alice");
    assertThatThrownBy(() -> ca.issue(IssueRequest.of(CertificateRole.NODE, "hospital-a")))
        .isInstanceOf(ConflictException.class).hasMessageContaining("revoke it first");
    assertThatThrownBy(() -> IssueRequest.of(CertificateRole.NODE, "a").withDnsNames(List.of("x.org"))).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> IssueRequest.of(CertificateRole.NODE, "bad name")).isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void revocationSignsANewListThatNamesTheSerialAndReachesEveryDirectory() throws Exception {
    ProjectCa ca = newCa();
    IssuedCertificate gw = ca.issue(IssueRequest.of(CertificateRole.GATEWAY, "gw"));
    IssuedCertificate a = ca.issue(IssueRequest.of(CertificateRole.NODE, "a"));
    IssuedCertificate b = ca.issue(IssueRequest.of(CertificateRole.NODE, "b"));

    ca.revoke("a");
    ca.revoke("0x" + b.serialHex());

    X509CRL crl = ProjectTrustManager.loadCrl(gw.directory().resolve("crl.pem"), ca.certificate()); // the gateway's copy, signature checked
    assertThat(ProjectCa.revokedSerials(crl)).containsExactlyInAnyOrder(a.serial(), b.serial());
    assertThat(crl.getIssuerX500Principal()).isEqualTo(ca.certificate().getSubjectX500Principal());
    assertThat(crl.getExtensionValue("2.5.29.20")).isNotNull(); // CRL number
    assertThat(ca.list()).filteredOn(IssuedCertificate::revoked).extracting(IssuedCertificate::name).containsExactlyInAnyOrder("a", "b");
    assertThatThrownBy(() -> ca.revoke("a")).isInstanceOf(ConflictException.class).hasMessageContaining("revoked already");
    assertThatThrownBy(() -> ca.revoke("nobody")).isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> TlsMaterial.load(a.directory(), InstantSource.system()))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("CN=a").hasMessageContaining("was revoked");

    // a revoked name may be issued again; the old serial stays revoked
    IssuedCertificate again = ca.issue(IssueRequest.of(CertificateRole.NODE, "a"));
    assertThat(TlsMaterial.load(again.directory(), InstantSource.system()).certificate().getSerialNumber()).isEqualTo(again.serial());
  }

  @Test
  void loadingNamesTheFileAndCertificateOfEachMisconfiguration() throws Exception {
    Instant now = Instant.now();
    ProjectCa ca = ProjectCa.create(tmp.resolve("pki"), "Project", Duration.ofDays(3650), () -> now.minus(Duration.ofDays(10)));
    IssuedCertificate expired = ca.issue(IssueRequest.of(CertificateRole.NODE, "old").withValidity(Duration.ofDays(1)));
    IssuedCertificate future = ProjectCa.open(ca.directory(), () -> now.plus(Duration.ofDays(2))).issue(IssueRequest.of(CertificateRole.NODE, "future"));
    IssuedCertificate good = ProjectCa.open(ca.directory(), InstantSource.system()).issue(IssueRequest.of(CertificateRole.NODE, "good"));
    ProjectCa other = ProjectCa.create(tmp.resolve("other"), "Other", Duration.ofDays(3650), InstantSource.system());

    assertThatThrownBy(() -> TlsMaterial.load(expired.directory(), InstantSource.system()))
        .hasMessageContaining(expired.directory().resolve("cert.pem").toString()).hasMessageContaining("CN=old").hasMessageContaining("expired");
    assertThatThrownBy(() -> TlsMaterial.load(future.directory(), InstantSource.system()))
        .hasMessageContaining("CN=future").hasMessageContaining("not valid before");
    Files.copy(other.directory().resolve("ca.pem"), good.directory().resolve("ca.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> TlsMaterial.load(good.directory(), InstantSource.system()))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("CN=good").hasMessageContaining("not by this project's CA 'CN=Other");
    Files.copy(expired.directory().resolve("key.pem"), future.directory().resolve("key.pem"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> TlsMaterial.load(future.directory(), InstantSource.system()))
        .hasMessageContaining("key.pem").hasMessageContaining("does not belong to");
    assertThatThrownBy(() -> TlsMaterial.load(tmp.resolve("missing"), InstantSource.system()))
        .isInstanceOf(InvalidRequestException.class).extracting(e -> ((FedGridException) e).code()).isEqualTo("INVALID_TLS_MATERIAL");
  }

  @Test
  void theTrustManagerChecksTheDialledHostAndTheSide() throws Exception {
    ProjectCa ca = newCa();
    X509Certificate gw = TlsMaterial.load(ca.issue(IssueRequest.of(CertificateRole.GATEWAY, "gw")).directory(), InstantSource.system()).certificate();
    TlsMaterial node = TlsMaterial.load(ca.issue(IssueRequest.of(CertificateRole.NODE, "n")).directory(), InstantSource.system());

    ProjectTrustManager.checkHost(gw, "localhost");
    ProjectTrustManager.checkHost(gw, "127.0.0.1");
    assertThatThrownBy(() -> ProjectTrustManager.checkHost(gw, "gw.example.org"))
        .hasMessageContaining("is for DNS:localhost, IP:127.0.0.1, not 'gw.example.org'").hasMessageContaining("--dns gw.example.org");
    node.trustManager().checkServerTrusted(new X509Certificate[] {gw}, "EC");
    assertThatThrownBy(() -> node.trustManager().checkServerTrusted(new X509Certificate[] {node.certificate()}, "EC"))
        .hasMessageContaining("may not authenticate a server");
  }

  private static String perms(Path p) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }
}
