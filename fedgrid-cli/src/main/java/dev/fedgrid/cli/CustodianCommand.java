package dev.fedgrid.cli;

import dev.fedgrid.custodian.CustodianAudit;
import dev.fedgrid.custodian.CustodianServer;
import dev.fedgrid.custodian.GatewayAssignments;
import dev.fedgrid.security.TlsMaterial;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code fedgrid custodian start|verify-audit}: a key custodian, which holds one share of each
 * confidential job's data key and releases it only to a node with an APPROVED agreement for the job
 * (docs/security.md, "Confidential models and key custodians").
 */
@Command(
    name = "custodian",
    description = "Run a key custodian: holds shares of confidential models' data keys and releases them only to assigned nodes.",
    subcommands = {CustodianCommand.Start.class, CustodianCommand.VerifyAudit.class},
    footer = {"", "Example:", "  fedgrid pki issue custodian custodian-a --dns custodian-a.example.org",
      "  FEDGRID_TOKEN=fgt_... fedgrid custodian start --tls-dir ~/.fedgrid/pki/custodian/custodian-a --gateway https://gateway.example.org:7600"})
public final class CustodianCommand implements Runnable {
  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing a subcommand: start or verify-audit");
  }

  @Command(
      name = "start",
      description = {"Start a key custodian and serve until Ctrl-C. HTTPS only, with client certificates of the project CA required:",
        "users deposit and bind shares, nodes receive them. Before each release the custodian asks the gateway whether the node",
        "(its certificate's name) holds an APPROVED agreement for the job, and writes the release or refusal to its audit log."},
      footer = {"", "Example:", "  fedgrid pki issue custodian custodian-a --dns custodian-a.example.org",
        "  fedgrid custodian start --tls-dir ~/.fedgrid/pki/custodian/custodian-a --gateway https://gateway.example.org:7600 \\",
        "      --gateway-token-file /etc/fedgrid/custodian-token --host 0.0.0.0",
        "", "The gateway token is of a user whose role has can_manage_infrastructure (such as 'administrator'); it is read from",
        "--gateway-token-file, else FEDGRID_TOKEN, and never logged. Prints 'custodian ready: https://HOST:PORT' once it listens."})
  static final class Start implements Callable<Integer> {
    @Mixin HelpOption help;

    @Spec CommandSpec spec;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:FEDGRID_CUSTODIAN_DATA_DIR:-${sys:user.home}/.fedgrid/custodian}",
        description = "Where the custodian keeps its shares (shares.json) and audit log (audit.log), both 0600. Env FEDGRID_CUSTODIAN_DATA_DIR. Default: ${DEFAULT-VALUE}")
    Path dataDir;

    @Option(names = "--tls-dir", paramLabel = "DIR", defaultValue = "${env:FEDGRID_CUSTODIAN_TLS_DIR}",
        description = "Required: the custodian certificate, key, project CA and revocation list ('fedgrid pki issue custodian NAME'). Env FEDGRID_CUSTODIAN_TLS_DIR.")
    Path tlsDir;

    @Option(names = "--gateway", paramLabel = "URL", defaultValue = "${env:FEDGRID_GATEWAY_URL}",
        description = "Required: the gateway's control API, such as https://gateway.example.org:7600. Env FEDGRID_GATEWAY_URL.")
    URI gateway;

    @Option(names = "--gateway-token-file", paramLabel = "FILE",
        description = "A file holding the gateway token (fgt_...) of an operator account. Default: the FEDGRID_TOKEN variable.")
    Path tokenFile;

    @Option(names = "--host", defaultValue = "${env:FEDGRID_HOST:-127.0.0.1}", description = "Address to listen on. Env FEDGRID_HOST. Default: ${DEFAULT-VALUE}")
    String host;

    @Option(names = "--port", defaultValue = "${env:FEDGRID_CUSTODIAN_PORT:-7700}",
        description = "Port to listen on; 0 picks a free one. Env FEDGRID_CUSTODIAN_PORT. Default: ${DEFAULT-VALUE}")
    int port;

    @Option(names = "--gateway-timeout", defaultValue = "10s", converter = JobCommand.DurationConverter.class,
        description = "How long to wait for the gateway's answer before refusing a release. Default: ${DEFAULT-VALUE}")
    Duration gatewayTimeout;

    @Override
    public Integer call() throws IOException, InterruptedException {
      if (tlsDir == null) throw new ParameterException(spec.commandLine(), "missing --tls-dir: the directory 'fedgrid pki issue custodian NAME' printed");
      if (gateway == null) throw new ParameterException(spec.commandLine(), "missing --gateway: the gateway's control API, such as https://gateway.example.org:7600");
      if (port < 0 || port > 65_535) throw new ParameterException(spec.commandLine(), "--port must be in [0, 65535], got " + port);
      String token = token();
      TlsMaterial tls = TlsMaterial.load(tlsDir, InstantSource.system());
      var check = new GatewayAssignments(gateway, token, tls.sslContext(), gatewayTimeout);
      CustodianServer server = CustodianServer.start(dataDir, tls, check, host, port, InstantSource.system());
      var stopped = new CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        server.close();
        stopped.countDown();
      }, "fedgrid-custodian-shutdown"));
      var out = FedGridCommand.of(spec).out();
      out.println("custodian ready: https://" + host + ":" + server.port());
      out.println("shares and audit log in " + dataDir.toAbsolutePath() + "; Ctrl-C stops the custodian");
      out.flush();
      stopped.await();
      return Main.OK;
    }

    private String token() throws IOException {
      if (tokenFile != null) {
        if (!Files.isRegularFile(tokenFile)) throw new ParameterException(spec.commandLine(), "--gateway-token-file " + tokenFile + " is not a file");
        String t = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
        if (t.isEmpty()) throw new ParameterException(spec.commandLine(), "--gateway-token-file " + tokenFile + " is empty");
        return t;
      }
      String variable = Credentials.variable(TokenOption.VARIABLE);
      if (variable == null) {
        throw new ParameterException(spec.commandLine(),
            "the custodian needs a gateway token of an operator account: pass --gateway-token-file FILE or set " + TokenOption.VARIABLE
                + " (create one with 'fedgrid token create' as a user whose role has can_manage_infrastructure)");
      }
      return variable;
    }
  }

  @Command(name = "verify-audit", description = "Check the hash chain of a custodian's audit log (offline; the custodian may be running).",
      footer = {"", "Example:", "  fedgrid custodian verify-audit --data-dir /var/lib/fedgrid/custodian", "", "Exit code 0 when intact, 1 when broken."})
  static final class VerifyAudit implements Callable<Integer> {
    @Mixin HelpOption help;

    @Spec CommandSpec spec;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:FEDGRID_CUSTODIAN_DATA_DIR:-${sys:user.home}/.fedgrid/custodian}",
        description = "The custodian's data directory. Env FEDGRID_CUSTODIAN_DATA_DIR. Default: ${DEFAULT-VALUE}")
    Path dataDir;

    @Option(names = "--json", description = "Print the result as JSON. Default: false.")
    boolean json;

    @Override
    public Integer call() throws IOException {
      Path log = dataDir.resolve("audit.log");
      if (!Files.isRegularFile(log)) throw new ParameterException(spec.commandLine(), "no audit log at " + log + "; is --data-dir the custodian's?");
      CustodianAudit.Verification v = CustodianAudit.verify(log);
      var out = FedGridCommand.of(spec).out();
      if (json) out.println(CliJson.pretty(v));
      else out.println((v.intact() ? "intact: " : "BROKEN: ") + v.message());
      out.flush();
      return v.intact() ? Main.OK : 1;
    }
  }
}
