package dev.fedgrid.gateway;

import dev.fedgrid.gateway.control.ControlServer;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a gateway process needs to start, checked when built.
 *
 * @param dataDir where the state database lives (default {@code ~/.fedgrid/gateway})
 * @param host the address both APIs listen on (default 127.0.0.1; use 0.0.0.0 to accept nodes
 *     from other machines)
 * @param controlPort the control API's port (default 7600; 0 picks a free port)
 * @param fleetPort the fleet API's port (default 7601; 0 picks a free port)
 * @param coordinator heartbeat, node time-out and polling settings
 * @param tlsDir the directory of the gateway's certificate, key, project CA and revocation list
 *     ({@code fedgrid pki issue gateway NAME}); when present the fleet API requires mutual TLS and
 *     the control API serves HTTPS with that certificate; when empty both serve plaintext, which
 *     {@link Gateway#start} logs as a warning ({@code fedgrid gateway start} allows it only with
 *     {@code --insecure})
 * @param corsOrigins the origins ({@code scheme://host[:port]}) whose pages may call the control
 *     API from a browser, such as a static host serving the admin app; empty (the default) allows
 *     only the gateway's own pages, such as the admin app at {@code /admin/}
 */
public record GatewayConfig(
    Path dataDir, String host, int controlPort, int fleetPort, CoordinatorOptions coordinator, Optional<Path> tlsDir, List<String> corsOrigins) {
  public static final int DEFAULT_CONTROL_PORT = 7600;
  public static final int DEFAULT_FLEET_PORT = 7601;

  public GatewayConfig {
    Objects.requireNonNull(dataDir, "dataDir");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(coordinator, "coordinator");
    Objects.requireNonNull(tlsDir, "tlsDir");
    corsOrigins = ControlServer.checkCorsOrigins(corsOrigins);
    checkPort("control", controlPort);
    checkPort("fleet", fleetPort);
    if (controlPort != 0 && controlPort == fleetPort) {
      throw new IllegalArgumentException("the control and fleet APIs need different ports, both are " + controlPort);
    }
  }

  /** Both APIs in plaintext (insecure: for tests on loopback); {@link #withTls} turns TLS on. */
  public GatewayConfig(Path dataDir, String host, int controlPort, int fleetPort, CoordinatorOptions coordinator) {
    this(dataDir, host, controlPort, fleetPort, coordinator, Optional.empty(), List.of());
  }

  /** These settings with the fleet API on mutual TLS and the control API on HTTPS, with the material in {@code tlsDir}. */
  public GatewayConfig withTls(Path tlsDir) {
    return new GatewayConfig(dataDir, host, controlPort, fleetPort, coordinator, Optional.of(tlsDir), corsOrigins);
  }

  /** These settings with browser pages from {@code origins} allowed to call the control API (CORS). */
  public GatewayConfig withCorsOrigins(List<String> origins) {
    return new GatewayConfig(dataDir, host, controlPort, fleetPort, coordinator, tlsDir, origins);
  }

  /** The defaults, with data under {@code dataDir}: both APIs in plaintext until {@link #withTls} is given. */
  public static GatewayConfig defaults(Path dataDir) {
    return new GatewayConfig(dataDir, "127.0.0.1", DEFAULT_CONTROL_PORT, DEFAULT_FLEET_PORT, CoordinatorOptions.defaults());
  }

  private static void checkPort(String which, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(which + " port must be in [0, 65535], got " + port);
    }
  }
}
