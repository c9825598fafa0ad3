package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.cli.CliHelpTest.Run;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS is the default: a gateway or node without its TLS directory refuses to start and says how to make one. */
class TlsOptionsTest {
  @TempDir Path dir;

  @Test
  void aGatewayWithoutTlsMaterialRefusesToStartAndSaysHowToCreateIt() {
    Run r = CliHelpTest.run("gateway", "start", "--data-dir", dir.toString(), "--control-port", "0", "--fleet-port", "0");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("error: the gateway serves both APIs over TLS and found no TLS directory at " + dir.toAbsolutePath().resolve("tls"))
        .contains("fedgrid pki init").contains("fedgrid pki issue gateway NAME").contains("--tls-dir").contains("--insecure")
        .endsWith("(TLS_NOT_CONFIGURED)\n");
    assertThat(r.out()).doesNotContain("gateway ready");
  }

  @Test
  void aNodeWithoutTlsMaterialRefusesToStartAndSaysWhereToGetIt() {
    Path missing = dir.resolve("no-such-dir");
    Run r = CliHelpTest.run("node", "start", "--data-dir", dir.toString(), "--tls-dir", missing.toString(), "--dataset", "name=c,path=c.csv,label=y");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).startsWith("error: the node dials the gateway over mutual TLS and found no TLS directory at " + missing.toAbsolutePath() + " (--tls-dir)")
        .contains("fedgrid pki issue node NAME").contains("--insecure").endsWith("(TLS_NOT_CONFIGURED)\n");
  }

  @Test
  void insecureAndATlsDirectoryExcludeEachOther() {
    for (String command : new String[] {"gateway", "node"}) {
      Run r = command.equals("gateway")
          ? CliHelpTest.run("gateway", "start", "--insecure", "--tls-dir", dir.toString())
          : CliHelpTest.run("node", "start", "--insecure", "--tls-dir", dir.toString(), "--dataset", "name=c,path=c.csv,label=y");
      assertThat(r.code()).as(command).isEqualTo(2);
      assertThat(r.err()).as(command).contains("--insecure and --tls-dir exclude each other");
    }
  }
}
