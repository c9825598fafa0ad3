package dev.fedgrid.gateway;

import dev.fedgrid.gateway.control.ControlServer;
import dev.fedgrid.gateway.fleet.FleetServer;
import dev.fedgrid.gateway.fleet.FleetServerOptions;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.state.SqlStateStore;
import dev.fedgrid.gateway.state.StateStore;
import dev.fedgrid.security.TlsMaterial;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.InstantSource;
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

  private final StateStore store;
  private final Coordinator coordinator;
  private final FleetServer fleet;
  private final ControlServer control;
  private final CountDownLatch stopped = new CountDownLatch(1);

  private Gateway(StateStore store, Coordinator coordinator, FleetServer fleet, ControlServer control) {
    this.store = store;
    this.coordinator = coordinator;
    this.fleet = fleet;
    this.control = control;
  }

  /**
   * Opens the state in {@code config.dataDir()}, resumes running jobs and starts both APIs; the
   * fleet API on mutual TLS when {@code config.fleetTlsDir()} is given.
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
    TlsMaterial fleetTls = config.fleetTlsDir().map(dir -> TlsMaterial.load(dir, InstantSource.system()).requireServerAuth()).orElse(null);
    StateStore store = SqlStateStore.sqlite(config.dataDir().resolve("gateway.db"));
    Coordinator coordinator = new Coordinator(store, Clock.systemUTC(), config.coordinator());
    FleetServer fleet = null;
    try {
      coordinator.start();
      fleet = FleetServer.start(
          coordinator, config.host(), config.fleetPort(), FleetServerOptions.builder().maxPollWait(config.coordinator().maxPollWait()).build(),
          fleetTls);
      ControlServer control = ControlServer.start(coordinator, config.host(), config.controlPort());
      log.info("gateway started: control API http://{}:{}, fleet API {}:{}, state in {}", config.host(), control.port(), config.host(), fleet.port(), config.dataDir());
      return new Gateway(store, coordinator, fleet, control);
    } catch (RuntimeException e) {
      if (fleet != null) fleet.close();
      coordinator.close();
      store.close();
      throw e;
    }
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
    store.close();
    stopped.countDown();
    log.info("gateway stopped");
  }
}
