package dev.fedgrid.cli;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.gateway.Gateway;
import dev.fedgrid.gateway.GatewayConfig;
import dev.fedgrid.gateway.control.ControlServer;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fedgrid gateway start}: runs the gateway in the foreground until stopped. */
@Command(
    name = "gateway",
    description = "Run the gateway: the catalogue, the job queue and the round driver, serving the control and fleet APIs.",
    subcommands = {GatewayCommand.Start.class},
    footer = {"", "Example:", "  fedgrid pki init && fedgrid pki issue gateway gw-1",
      "  fedgrid gateway start --tls-dir ~/.fedgrid/pki/gateway/gw-1",
      "  fedgrid gateway start --host 0.0.0.0 --data-dir /var/lib/fedgrid   # TLS material in /var/lib/fedgrid/tls"})
public final class GatewayCommand implements Runnable {
  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing a subcommand: start");
  }

  @Command(
      name = "start",
      description = {"Start the gateway and serve until Ctrl-C (or SIGTERM), which stops it cleanly; running jobs resume at the next start.",
        "Both APIs run on TLS with the gateway certificate of the project CA: the fleet API on mutual TLS (nodes need a",
        "certificate of the same CA), the control API on HTTPS. Plaintext only with --insecure."},
      footer = {"", "Example:", "  fedgrid pki init && fedgrid pki issue gateway gw-1 --dns gateway.example.org",
        "  fedgrid gateway start --host 0.0.0.0 --tls-dir ~/.fedgrid/pki/gateway/gw-1",
        "  fedgrid gateway start --control-port 7600 --fleet-port 7601 --cors-origin https://admin.example.org",
        "  fedgrid gateway start --insecure      # plaintext, for a throw-away test on one machine only",
        "", "Prints 'gateway ready: control API <url>, fleet API <host:port> (mutual TLS|plaintext)' on stdout once both APIs listen,",
        "then 'admin app <url>/admin/': the admin web app, where you log in as in 'fedgrid login'."})
  static final class Start implements Callable<Integer> {
    @Mixin HelpOption help;

    @Spec CommandSpec spec;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:FEDGRID_GATEWAY_DATA_DIR:-${sys:user.home}/.fedgrid/gateway}",
        description = "Where the gateway keeps its state (SQLite). Env FEDGRID_GATEWAY_DATA_DIR. Default: ${DEFAULT-VALUE}")
    Path dataDir;

    @Option(names = "--host", defaultValue = "${env:FEDGRID_HOST:-127.0.0.1}",
        description = "Address both APIs listen on; 0.0.0.0 accepts nodes from other machines. Env FEDGRID_HOST. Default: ${DEFAULT-VALUE}")
    String host;

    @Option(names = "--control-port", defaultValue = "${env:FEDGRID_CONTROL_PORT:-7600}",
        description = "Port of the control API (REST); 0 picks a free one. Env FEDGRID_CONTROL_PORT. Default: ${DEFAULT-VALUE}")
    int controlPort;

    @Option(names = "--fleet-port", defaultValue = "${env:FEDGRID_FLEET_PORT:-7601}",
        description = "Port of the fleet API (gRPC) nodes dial; 0 picks a free one. Env FEDGRID_FLEET_PORT. Default: ${DEFAULT-VALUE}")
    int fleetPort;

    @Option(names = "--heartbeat", defaultValue = "5s", converter = JobCommand.DurationConverter.class,
        description = "How often nodes send heartbeats. Default: ${DEFAULT-VALUE}")
    Duration heartbeat;

    @Option(names = "--node-timeout", defaultValue = "20s", converter = JobCommand.DurationConverter.class,
        description = "Silence after which a node counts as offline and its tasks fail (at least twice --heartbeat). Default: ${DEFAULT-VALUE}")
    Duration nodeTimeout;

    @Option(names = "--tls-dir", paramLabel = "DIR", defaultValue = "${env:FEDGRID_GATEWAY_TLS_DIR}",
        description = {"The gateway certificate, key, project CA and revocation list (from 'fedgrid pki issue gateway NAME'): the fleet API",
          "requires mutual TLS with them, the control API serves HTTPS. Env FEDGRID_GATEWAY_TLS_DIR. Default: <data-dir>/tls."})
    Path tlsDir;

    @Option(names = "--insecure",
        description = {"Serve both APIs in plaintext, without TLS: anyone on the network can read models, passwords and tokens, and",
          "any process reaching the fleet port can pose as a node. For throw-away tests on one machine. Default: false."})
    boolean insecure;

    @Option(names = "--cors-origin", paramLabel = "ORIGIN",
        description = {"Let browser pages from ORIGIN (scheme://host[:port], such as https://admin.example.org) call the control API,",
          "for the admin app served by another host; repeat for several. Default: none (only the gateway's own pages, such as /admin/)."})
    List<String> corsOrigins = List.of();

    @Override
    public Integer call() throws Exception {
      if (insecure && tlsDir != null) throw new ParameterException(spec.commandLine(), "--insecure and --tls-dir exclude each other; leave out one");
      Path tls = insecure ? null : tlsDirectory(tlsDir, dataDir);
      GatewayConfig config;
      try {
        var defaults = CoordinatorOptions.defaults();
        config = new GatewayConfig(dataDir, host, controlPort, fleetPort,
            new CoordinatorOptions(heartbeat, nodeTimeout, defaults.maxPollWait(), defaults.schedulerTick()));
        if (tls != null) config = config.withTls(tls);
        config = config.withCorsOrigins(corsOrigins);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      if (insecure) {
        var err = FedGridCommand.of(spec).err();
        err.println("WARNING: --insecure: TLS is OFF. The control API (passwords, tokens, models) and the fleet API (model parameters,");
        err.println("WARNING: node tokens) are plaintext, any process that reaches the fleet port can pose as a node, and nodes'");
        err.println("WARNING: results are not signed (signatures need node certificates). Never use it beyond a throw-away test on");
        err.println("WARNING: one machine; see docs/security.md for 'fedgrid pki'.");
        err.flush();
      }
      Gateway gateway = Gateway.start(config);
      Runtime.getRuntime().addShutdownHook(new Thread(gateway::close, "fedgrid-gateway-shutdown"));
      var out = FedGridCommand.of(spec).out();
      out.println(readyLine(host, gateway.controlPort(), gateway.fleetPort(), gateway.tls()));
      String scheme = gateway.tls() ? "https" : "http";
      ControlServer.adminAppPath().ifPresent(path -> out.println("admin app " + scheme + "://" + host + ":" + gateway.controlPort() + path));
      out.println("state in " + dataDir.toAbsolutePath().resolve("gateway.db") + "; Ctrl-C stops the gateway");
      out.flush();
      gateway.awaitTermination();
      return Main.OK;
    }
  }

  /** The line printed once both APIs listen; {@link LocalGrid#GATEWAY_READY} reads it. */
  static String readyLine(String host, int controlPort, int fleetPort, boolean tls) {
    return "gateway ready: control API " + (tls ? "https" : "http") + "://" + host + ":" + controlPort + ", fleet API " + host + ":" + fleetPort
        + (tls ? " (mutual TLS)" : " (plaintext)");
  }

  /**
   * {@code --tls-dir}, else {@code <data-dir>/tls}, when it is a directory.
   *
   * @throws InvalidRequestException with code {@code TLS_NOT_CONFIGURED} saying how to create
   *     the material, or to pass {@code --insecure}
   */
  static Path tlsDirectory(Path given, Path dataDir) {
    Path dir = given != null ? given : dataDir.resolve("tls");
    if (Files.isDirectory(dir)) return dir;
    throw new InvalidRequestException(
        "TLS_NOT_CONFIGURED",
        "the gateway serves both APIs over TLS and found no TLS directory at " + dir.toAbsolutePath()
            + (given != null ? " (--tls-dir)" : " (the default, <data-dir>/tls)")
            + ". Create the project CA and a gateway certificate once: 'fedgrid pki init', then 'fedgrid pki issue gateway NAME"
            + " [--dns HOST] [--ip ADDRESS]' naming the hosts nodes and users dial, and pass the directory it prints as --tls-dir (or copy it to "
            + dataDir.toAbsolutePath().resolve("tls") + "). For a throw-away test on one machine only, --insecure serves plaintext",
        Map.of("dir", dir.toString()));
  }
}
