package dev.fedgrid.gateway;

import dev.fedgrid.gateway.access.OwnerCredential;
import dev.fedgrid.gateway.control.ControlServer;
import dev.fedgrid.gateway.fleet.FleetServer;
import dev.fedgrid.gateway.fleet.FleetServerOptions;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.security.TlsMaterial;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gateway: the state store, the coordinator, the fleet API for nodes and the control API
 * for people and tools, started together and stopped together.
 *
 * <p>Thread-safe.
 */
public final class Gateway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Gateway.class);

  /** The file the owner's first-start credential is written to, inside the data directory. */
  public static final String OWNER_CREDENTIAL_FILE = "owner-credential.json";

  private final SqlDatabase db;
  private final Coordinator coordinator;
  private final FleetServer fleet;
  private final ControlServer control;
  private final boolean tls;
  private final CountDownLatch stopped = new CountDownLatch(1);

  private Gateway(SqlDatabase db, Coordinator coordinator, FleetServer fleet, ControlServer control, boolean tls) {
    this.tls = tls;
    this.db = db;
    this.coordinator = coordinator;
    this.fleet = fleet;
    this.control = control;
  }

  /**
   * Opens the state in {@code config.dataDir()}, resumes running jobs and starts both APIs: with
   * {@code config.tlsDir()} the fleet API on mutual TLS and the control API on HTTPS, without it
   * both in plaintext, with a warning in the log. On the first start (no
   * users yet) it creates the user {@code owner}, prints {@code OWNER_CREDENTIAL user=owner
   * password=… token=…} as one line on standard output and writes the same to {@value
   * #OWNER_CREDENTIAL_FILE} in the data directory (readable by the owner only); the log says where,
   * never the secrets.
   *
   * @throws dev.fedgrid.api.InvalidRequestException with code {@code INVALID_TLS_MATERIAL} when
   *     that directory's files are missing, damaged, expired, revoked or not a gateway's
   */
  public static Gateway start(GatewayConfig config) {
    try {
      Files.createDirectories(config.dataDir());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the gateway data directory " + config.dataDir(), e);
    }
    TlsMaterial tls = config.tlsDir().map(dir -> TlsMaterial.load(dir, InstantSource.system()).requireServerAuth()).orElse(null);
    if (tls == null) {
      log.warn("INSECURE: TLS is off; the control API (passwords, tokens, models) and the fleet API (model parameters, node tokens) "
          + "are served in plaintext on {}, any process that reaches the fleet port may pose as a node, and nodes' results are "
          + "not signed (signatures need each node's certificate). Start with a TLS "
          + "directory ('fedgrid pki issue gateway NAME') outside tests on a trusted machine", config.host());
    }
    Clock clock = Clock.systemUTC();
    SqlDatabase db = SqlDatabase.sqlite(config.dataDir().resolve("gateway.db"));
    Coordinator coordinator = null;
    FleetServer fleet = null;
    try {
      GatewayServices services = GatewayServices.of(db, clock);
      coordinator = services.coordinator(config.coordinator());
      services.identity().bootstrap().ifPresent(credential -> announce(credential, config.dataDir()));
      coordinator.start();
      fleet = FleetServer.start(
          coordinator, services.activities(), config.host(), config.fleetPort(), FleetServerOptions.builder().maxPollWait(config.coordinator().maxPollWait()).build(),
          tls);
      ControlServer control =
          services.controlServer(coordinator).host(config.host()).port(config.controlPort()).corsOrigins(config.corsOrigins()).tls(tls).start();
      log.info("gateway started: control API {}://{}:{}, fleet API {}:{} ({}), state in {}", tls == null ? "http" : "https", config.host(), control.port(),
          config.host(), fleet.port(), tls == null ? "plaintext" : "mutual TLS", config.dataDir());
      return new Gateway(db, coordinator, fleet, control, tls != null);
    } catch (RuntimeException e) {
      if (fleet != null) fleet.close();
      if (coordinator != null) coordinator.close();
      db.close();
      throw e;
    }
  }

  /** Shows the first-start credential once: one line on stdout, a file for scripts, a log line without secrets. */
  private static void announce(OwnerCredential credential, Path dataDir) {
    Path file = dataDir.resolve(OWNER_CREDENTIAL_FILE);
    var body = new LinkedHashMap<String, String>();
    body.put("user", credential.user());
    body.put("password", credential.password());
    body.put("token", credential.token());
    try {
      Files.deleteIfExists(file);
      if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      }
      Files.writeString(file, SqlDatabase.json(body) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the owner's credential to " + file, e);
    }
    System.out.println("OWNER_CREDENTIAL user=" + credential.user() + " password=" + credential.password() + " token=" + credential.token());
    System.out.flush();
    log.warn("first start: created user '{}' with every permission; its password and API token are printed above and in {} "
        + "(readable only by you). Store them safely, then delete that file; change the password with `fedgrid user passwd`.", credential.user(), file);
  }

  /** Whether both APIs run on TLS: the fleet API on mutual TLS, the control API on HTTPS. */
  public boolean tls() {
    return tls;
  }

  public int controlPort() {
    return control.port();
  }

  public int fleetPort() {
    return fleet.port();
  }

  /** Blocks until {@link #close()} is called. */
  public void awaitTermination() throws InterruptedException {
    stopped.await();
  }

  /** Stops accepting calls, pauses running jobs (they resume on the next start) and closes the state. */
  @Override
  public void close() {
    if (stopped.getCount() == 0) return;
    control.close();
    coordinator.close();
    fleet.close();
    db.close();
    stopped.countDown();
    log.info("gateway stopped");
  }
}
