package dev.fedgrid.gateway.fleet;

import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.security.TlsMaterial;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet API server: gRPC over Netty, every call on its own virtual thread, serving one {@link
 * FleetBackend}. Nodes dial in; the server never dials out.
 *
 * <pre>{@code
 * try (FleetServer fleet = FleetServer.start(backend, "0.0.0.0", 7601, FleetServerOptions.defaults())) {
 *   System.out.println("fleet API on port " + fleet.port());
 *   fleet.awaitTermination();
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} stops accepting calls, answers waiting long polls with "no
 * task" at once, lets other calls in flight finish for up to {@link
 * FleetServerOptions#shutdownTimeout()}, then cancels what is left.
 */
public final class FleetServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FleetServer.class);

  private final Server server;
  private final FleetService service;
  private final ExecutorService executor;
  private final FleetServerOptions options;
  private final String host;

  private FleetServer(Server server, FleetService service, ExecutorService executor, FleetServerOptions options, String host) {
    this.server = server;
    this.service = service;
    this.executor = executor;
    this.options = options;
    this.host = host;
  }

  /**
   * Binds {@code host:port} and starts serving.
   *
   * @param host the interface to bind, such as {@code 0.0.0.0} for all or {@code 127.0.0.1}
   * @param port the port, 7601 by default; 0 picks a free one (see {@link #port()})
   * @throws UnavailableException with code {@code FLEET_PORT_UNAVAILABLE} when the address cannot
   *     be bound
   */
  public static FleetServer start(FleetBackend backend, String host, int port, FleetServerOptions options) {
    return start(backend, host, port, options, null);
  }

  /**
   * Binds {@code host:port} and serves over mutual TLS: the server presents {@code tls}'s gateway
   * certificate, and every client must present a certificate of the same project CA that is
   * valid, not on the CA's revocation list ({@code crl.pem} in the TLS directory, re-read when it
   * changes) and meant for clients. A refused client sees a TLS alert (certificate revoked,
   * expired, unknown CA); the gateway logs the reason naming the certificate. Plaintext clients
   * are refused.
   *
   * @param tls the gateway's TLS material, or null to serve plaintext as {@link #start(FleetBackend,
   *     String, int, FleetServerOptions)} does
   * @throws dev.fedgrid.api.InvalidRequestException with code {@code INVALID_TLS_MATERIAL} when
   *     {@code tls} holds no gateway (server) certificate
   * @throws UnavailableException with code {@code FLEET_PORT_UNAVAILABLE} when the address cannot
   *     be bound
   */
  public static FleetServer start(FleetBackend backend, String host, int port, FleetServerOptions options, TlsMaterial tls) {
    return start(backend, null, host, port, options, tls);
  }

  /**
   * Binds {@code host:port} as {@link #start(FleetBackend, String, int, FleetServerOptions,
   * TlsMaterial)} does, and serves the activity API ({@code fedgrid.activity.v1.Activities}) of
   * {@code activities} next to the Fleet service: same port, same TLS, same node authentication.
   *
   * @param activities the activity backend, or null to serve the Fleet service alone
   */
  public static FleetServer start(FleetBackend backend, ActivityBackend activities, String host, int port, FleetServerOptions options, TlsMaterial tls) {
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(options, "options");
    if (port < 0 || port > 65_535) throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
    X509ExtendedTrustManager clients = tls == null ? null : tls.trustManager();
    SslContext ssl = tls == null ? null : FleetTls.serverContext(tls, clients);
    var service = new FleetService(backend, options);
    var activityService = activities == null ? null : new ActivityService(activities, options, service);
    // one virtual thread per call (named for the logs): long polls and blocking backend calls are cheap
    ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("fedgrid-fleet-", 0).factory());
    // one interceptor for both services: the same node authentication and certificate checks on every call
    var auth = new AuthInterceptor(backend, clients);
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(host, port));
    if (ssl != null) builder.sslContext(ssl);
    builder
        .executor(executor)
        .addService(ServerInterceptors.intercept(service, auth))
        .maxInboundMessageSize(options.maxMessageBytes())
        .maxInboundMetadataSize(16 * 1024)
        .keepAliveTime(options.keepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
        .keepAliveTimeout(options.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .permitKeepAliveTime(options.permitKeepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
        .permitKeepAliveWithoutCalls(true);
    if (activityService != null) builder.addService(ServerInterceptors.intercept(activityService, auth));
    Server server = builder.build();
    try {
      server.start();
    } catch (IOException e) {
      executor.shutdownNow();
      throw new UnavailableException(
          "FLEET_PORT_UNAVAILABLE",
          "cannot serve the fleet API on " + host + ":" + port + " (" + e.getMessage() + "); stop whatever uses the port or choose another",
          java.util.Map.of(),
          e);
    }
    var fleet = new FleetServer(server, service, executor, options, host);
    if (tls == null) LOG.info("fleet API listening on {}:{} (plaintext)", host, fleet.port());
    else LOG.info("fleet API listening on {}:{} (mutual TLS as {}, clients of CA '{}')", host, fleet.port(), tls, tls.ca().getSubjectX500Principal().getName());
    return fleet;
  }

  /** The bound port: the one asked for, or the one picked when 0 was asked for. */
  public int port() {
    return ((InetSocketAddress) server.getListenSockets().getFirst()).getPort();
  }

  /** The bound host and port. */
  public InetSocketAddress address() {
    return new InetSocketAddress(host, port());
  }

  /** Blocks until the server has shut down. */
  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  /** Whether {@link #close()} has begun. */
  public boolean isShutdown() {
    return server.isShutdown();
  }

  /**
   * Shuts down: stops accepting calls, wakes long polls, waits up to the shutdown timeout for the
   * rest, then cancels them. Idempotent.
   */
  @Override
  public void close() {
    if (server.isTerminated()) return;
    server.shutdown();
    service.beginShutdown();
    Duration grace = options.shutdownTimeout();
    try {
      if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("fleet calls still running after {} ms; cancelling them", grace.toMillis());
        server.shutdownNow();
        server.awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      executor.shutdownNow();
    }
    LOG.info("fleet API on {} stopped", host);
  }
}
