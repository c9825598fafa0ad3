package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.node.JoinTokenState;
import dev.fedgrid.security.CertificateRole;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Enrolment across processes over real sockets, on TLS: a gateway process, a node process with a
 * valid certificate but started without a join token (refused, and it says what to do), and one started with a token the owner issued
 * (enrolled, and back after a restart without one).
 */
class EnrolmentIT {
  @TempDir Path dir;

  @Test
  void aNodeProcessNeedsAJoinTokenOnceAndNeverAgain() throws Exception {
    try (LocalGrid grid = new LocalGrid(dir).startGateway()) {
      Path csv = Cluster.splitCancer(dir.resolve("data"), 1, 1).getFirst();
      String dataset = "name=cancer,path=" + csv + ",label=benign";

      try (ChildProcess intruder = ChildProcess.start("intruder", dir.resolve("logs").resolve("intruder.log"), LocalGrid.NODE_READY,
          Stream.concat(Stream.of("node", "start", "--gateway", grid.fleetAddress(), "--name", "intruder", "--data-dir",
              dir.resolve("intruder").toString(), "--dataset", dataset), grid.tlsArgs(CertificateRole.NODE, "intruder").stream()).toList())) {
        assertThatThrownBy(() -> intruder.awaitReady(Duration.ofMinutes(2))).hasMessageContaining("exited with code 1").hasMessageContaining("JOIN_TOKEN_REQUIRED");
        String log = Files.readString(intruder.log());
        assertThat(log)
            .contains("error: gateway " + grid.fleetAddress() + " refused to enrol node 'intruder'")
            .contains("fedgrid node join-token create --name intruder")
            .contains("--join-token (or FEDGRID_JOIN_TOKEN)")
            .contains("(JOIN_TOKEN_REQUIRED)");
        assertThat(intruder.alive()).isFalse();
      }
      assertThat(grid.client().nodes()).isEmpty();

      grid.startNode("hospital-1", dataset); // the grid hands it a join token for its name
      grid.awaitNodes(Duration.ofMinutes(2));
      assertThat(grid.client().joinTokens()).singleElement().satisfies(t -> assertThat(t.state()).isEqualTo(JoinTokenState.USED));
      var enrolled = grid.client().nodes().getFirst().id();

      grid.node("hospital-1").close();
      grid.startNode("hospital-1", dataset); // its data directory holds its identity: no new token
      grid.awaitNodes(Duration.ofMinutes(2));
      assertThat(grid.client().joinTokens()).hasSize(1);
      assertThat(grid.client().nodes()).singleElement().satisfies(n -> assertThat(n.id()).isEqualTo(enrolled));
    }
  }
}
