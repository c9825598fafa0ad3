package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.security.CertificateRole;
import dev.fedgrid.security.IssueRequest;
import dev.fedgrid.security.ProjectCa;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedgrid custodian}: usage errors name what is missing; the audit check exits 1 on a broken chain. */
class CustodianCommandTest {
  @TempDir Path dir;

  @Test
  void startRefusesToRunWithoutItsTlsDirectoryOrAGatewayToken() {
    CliHelpTest.Run noTls = CliHelpTest.run("custodian", "start", "--gateway", "https://127.0.0.1:7600", "--data-dir", dir.resolve("c").toString());
    if (System.getenv("FEDGRID_CUSTODIAN_TLS_DIR") == null) {
      assertThat(noTls.code()).isEqualTo(2);
      assertThat(noTls.err()).contains("missing --tls-dir");
    }
    ProjectCa ca = ProjectCa.create(dir.resolve("pki"), ProjectCa.DEFAULT_NAME, ProjectCa.DEFAULT_VALIDITY, InstantSource.system());
    Path tls = ca.issue(IssueRequest.of(CertificateRole.CUSTODIAN, "custodian-a")).directory();
    Path empty = dir.resolve("token");
    CliHelpTest.Run emptyToken = CliHelpTest.run("custodian", "start", "--tls-dir", tls.toString(), "--gateway", "https://127.0.0.1:7600",
        "--gateway-token-file", writeEmpty(empty).toString(), "--data-dir", dir.resolve("c").toString());
    assertThat(emptyToken.code()).isEqualTo(2);
    assertThat(emptyToken.err()).contains("--gateway-token-file").contains("is empty");
    assertThat(Files.exists(dir.resolve("c"))).as("nothing is created before the options check out").isFalse();
  }

  @Test
  void verifyAuditSaysWhereThereIsNoLog() {
    CliHelpTest.Run r = CliHelpTest.run("custodian", "verify-audit", "--data-dir", dir.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("no audit log at");
  }

  private static Path writeEmpty(Path file) {
    try {
      Files.writeString(file, "  \n");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return file;
  }
}
