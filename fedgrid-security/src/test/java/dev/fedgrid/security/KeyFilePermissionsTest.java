package dev.fedgrid.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.InstantSource;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Issue 6: a process refuses to start with a private key its group or others can access. */
class KeyFilePermissionsTest {
  @TempDir Path tmp;
  private ProjectCa ca;

  @BeforeEach
  void posixOnly() {
    assumeThat(FileSystems.getDefault().supportedFileAttributeViews()).as("POSIX permissions").contains("posix");
    ca = ProjectCa.create(tmp.resolve("pki"), ProjectCa.DEFAULT_NAME, ProjectCa.DEFAULT_VALIDITY, InstantSource.system());
  }

  @ParameterizedTest
  @ValueSource(strings = {"rw-r--r--", "rw-r-----", "rw----r--", "rw--w----", "rw------x"})
  void aTlsKeyAccessibleByGroupOrOthersStopsTheStartNamingTheFileAndTheFix(String permissions) throws Exception {
    Path dir = ca.issue(IssueRequest.of(CertificateRole.NODE, "hospital-a")).directory();
    Path key = dir.resolve("key.pem");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString(permissions));

    assertThatThrownBy(() -> TlsMaterial.load(dir, InstantSource.system()))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining(key.toString())
        .hasMessageContaining("(permissions " + permissions + ")")
        .hasMessageContaining("chmod 600 " + key)
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("KEY_FILE_TOO_OPEN");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).as("nothing changed").isEqualTo(permissions);

    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------")); // the fix the message names
    assertThat(TlsMaterial.load(dir, InstantSource.system()).commonName()).isEqualTo("hospital-a");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("r--------")); // read-only for the owner is fine too
    assertThat(TlsMaterial.load(dir, InstantSource.system()).commonName()).isEqualTo("hospital-a");
  }

  @Test
  void aCaKeyReadableByOthersStopsThePkiCommands() throws Exception {
    Path key = ca.directory().resolve("ca-key.pem");
    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));

    assertThatThrownBy(() -> ProjectCa.open(ca.directory(), InstantSource.system()))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("the project CA's private key is accessible by others")
        .hasMessageContaining("chmod 600 " + key)
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("KEY_FILE_TOO_OPEN");

    Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
    assertThat(ProjectCa.open(ca.directory(), InstantSource.system()).certificate()).isEqualTo(ca.certificate());
  }

  @Test
  void theMessageSaysGroupWhenOnlyTheGroupHasAccess() throws Exception {
    Path dir = ca.issue(IssueRequest.of(CertificateRole.GATEWAY, "gw")).directory();
    Files.setPosixFilePermissions(dir.resolve("key.pem"), PosixFilePermissions.fromString("rw-r-----"));
    assertThatThrownBy(() -> TlsMaterial.load(dir, InstantSource.system())).hasMessageContaining("is accessible by its group");
  }
}
