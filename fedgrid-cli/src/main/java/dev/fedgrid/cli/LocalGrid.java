package dev.fedgrid.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.client.FedGridClient;
import dev.fedgrid.gateway.Gateway;
import dev.fedgrid.security.CertificateRole;
import dev.fedgrid.security.IssueRequest;
import dev.fedgrid.security.IssuedCertificate;
import dev.fedgrid.security.ProjectCa;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A gateway and its nodes running as separate OS processes on loopback, each with its own data
 * directory under {@code root} and its log under {@code root/logs}. The demo, the end-to-end
 * benchmarks and the cross-process integration tests all start grids this way.
 *
 * <p>Everything runs on TLS, as {@code fedgrid gateway start} and {@code fedgrid node start} do by
 * default: the grid creates a throw-away project CA in {@code root/pki} ({@link #caFile()}), with
 * a gateway certificate for {@code localhost} and {@code 127.0.0.1} and one node certificate per
 * node name, issued when the node first starts; the gateway and each node get their issued
 * directory as {@code --tls-dir}, and the grid's client trusts the CA. {@link #insecure(Path)}
 * makes a plaintext grid ({@code --insecure}) instead, for tests that must read the bytes on the
 * wire.
 *
 * <p>The gateway's ports are chosen when the grid is made and kept across {@link #startGateway()
 * restarts}, so nodes find a restarted gateway again. The grid's {@link #client()} is the gateway's
 * owner: it carries the token of the one-time owner credential the gateway's first start wrote to
 * {@link #ownerCredential()}, as a person starting a gateway would use it. Not thread-safe.
 */
public final class LocalGrid implements AutoCloseable {
  /** The line {@code fedgrid gateway start} prints on stdout once both APIs listen. */
  public static final Pattern GATEWAY_READY = Pattern.compile("^gateway ready: control API (https?://[^,\\s]+), fleet API ([^,\\s]+)(?: \\((?:plaintext|mutual TLS)\\))?$");
  /** The line {@code fedgrid node start} prints on stdout once registered. */
  public static final Pattern NODE_READY = Pattern.compile("^node ready: (node_[0-9a-z]+)");

  /** The name of the gateway's certificate in the grid's CA. */
  private static final String GATEWAY_NAME = "gateway";

  private final Path root;
  private final ProjectCa ca;
  private final int controlPort;
  private final int fleetPort;
  private final Map<String, ChildProcess> nodes = new LinkedHashMap<>();
  private ChildProcess gateway;
  private FedGridClient client;
  private int gatewayStarts;

  /** A grid on TLS whose gateway will listen on two free loopback ports; creates its CA in {@code root/pki}. */
  public LocalGrid(Path root) throws IOException {
    this(root, true);
  }

  private LocalGrid(Path root, boolean tls) throws IOException {
    this.root = root;
    this.controlPort = freePort();
    this.fleetPort = freePort();
    if (tls) {
      // EC P-256: a CA and a certificate take milliseconds
      ca = ProjectCa.create(root.resolve("pki"), "FedGrid throw-away CA", Duration.ofDays(30), InstantSource.system());
      ca.issue(IssueRequest.of(CertificateRole.GATEWAY, GATEWAY_NAME).withValidity(Duration.ofDays(7)));
    } else {
      ca = null;
    }
  }

  /**
   * A grid in plaintext: gateway and nodes run with {@code --insecure}. Only for tests that must
   * see what the gateway receives in the clear, such as {@code CanaryIT}.
   */
  public static LocalGrid insecure(Path root) throws IOException {
    return new LocalGrid(root, false);
  }

  /** The throw-away project CA's certificate, which the gateway's certificate comes from. */
  public Path caFile() {
    if (ca == null) throw new IllegalStateException("this grid runs in plaintext (insecure) and has no CA");
    return ca.directory().resolve("ca.pem");
  }

  /** Whether the grid runs on TLS (not {@link #insecure(Path)}). */
  public boolean tls() {
    return ca != null;
  }

  /** Starts the gateway, or restarts it on the same ports and data directory. */
  public LocalGrid startGateway() throws IOException, InterruptedException {
    gatewayStarts++;
    var args = new ArrayList<>(List.of("gateway", "start", "--data-dir", root.resolve("gateway").toString(), "--control-port", String.valueOf(controlPort),
        "--fleet-port", String.valueOf(fleetPort), "--heartbeat", "1s", "--node-timeout", "6s"));
    args.addAll(tlsArgs(CertificateRole.GATEWAY, GATEWAY_NAME));
    gateway = ChildProcess.start("gateway", root.resolve("logs").resolve(gatewayStarts == 1 ? "gateway.log" : "gateway-" + gatewayStarts + ".log"),
        GATEWAY_READY, args);
    Matcher ready = gateway.awaitReady(Duration.ofSeconds(60));
    if (client == null) {
      FedGridClient.Builder builder = FedGridClient.builder().baseUri(ready.group(1)).token(ownerToken()).timeout(Duration.ofSeconds(30));
      if (tls()) builder.trustCa(caFile());
      client = builder.build();
    }
    return this;
  }

  /**
   * {@code --tls-dir} with the issued directory of {@code role}'s {@code name}, issuing its
   * certificate on first use; {@code --insecure} on a plaintext grid.
   */
  public List<String> tlsArgs(CertificateRole role, String name) {
    if (ca == null) return List.of("--insecure");
    Path dir = ca.list().stream().filter(c -> c.role() == role && c.name().equals(name) && !c.revoked()).findFirst()
        .map(IssuedCertificate::directory)
        .orElseGet(() -> ca.issue(IssueRequest.of(role, name).withValidity(Duration.ofDays(7))).directory());
    return List.of("--tls-dir", dir.toString());
  }

  /** The grid's CA (absent on a plaintext grid), to issue or revoke certificates of its own. */
  public Optional<ProjectCa> ca() {
    return Optional.ofNullable(ca);
  }

  /** Where the gateway's first start wrote the owner's user name, password and token. */
  public Path ownerCredential() {
    return root.resolve("gateway").resolve(Gateway.OWNER_CREDENTIAL_FILE);
  }

  /**
   * The owner's token from {@link #ownerCredential()}, waiting up to 30 s for the file.
   *
   * @throws UnavailableException when the gateway wrote none, with the end of its log
   */
  public String ownerToken() throws IOException, InterruptedException {
    Path file = ownerCredential();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      if (Files.exists(file)) {
        try {
          JsonNode credential = new ObjectMapper().readTree(file.toFile());
          if (credential != null && credential.hasNonNull("token")) return credential.get("token").asText();
        } catch (JsonProcessingException e) {
          // being written: read again
        }
      }
      if (System.nanoTime() > deadline) {
        throw new UnavailableException("OWNER_CREDENTIAL_MISSING", "the gateway wrote no owner credential to " + file + " within 30 s; the end of its log:\n"
            + (gateway == null ? "" : gateway.tail()));
      }
      Thread.sleep(50);
    }
  }

  /** Starts a node named {@code name} serving one dataset, dialling the gateway's fleet port. */
  public ChildProcess startNode(String name, String datasetOption) throws IOException {
    return startNode(name, datasetOption, fleetAddress());
  }

  /**
   * Starts a node that dials {@code fleetAddress} instead, for example through a proxy. A node new
   * to the gateway enrols with a join token the owner issues for its name, handed over in {@code
   * FEDGRID_JOIN_TOKEN}.
   */
  public ChildProcess startNode(String name, String datasetOption, String fleetAddress) throws IOException {
    return startNode(name, datasetOption, fleetAddress, Map.of());
  }

  /** Starts a node as {@link #startNode(String, String, String)} does, with extra environment variables (tests' fault injection). */
  public ChildProcess startNode(String name, String datasetOption, String fleetAddress, Map<String, String> extraEnvironment) throws IOException {
    Path dataDir = root.resolve("nodes").resolve(name);
    var environment = new java.util.HashMap<String, String>(extraEnvironment);
    if (!Files.exists(dataDir)) environment.put("FEDGRID_JOIN_TOKEN", client.createJoinToken(name, 1).token());
    var args = new ArrayList<>(List.of("node", "start", "--gateway", fleetAddress, "--name", name, "--data-dir", dataDir.toString(), "--dataset", datasetOption));
    args.addAll(tlsArgs(CertificateRole.NODE, name));
    ChildProcess node = ChildProcess.start(name, root.resolve("logs").resolve(name + ".log"), NODE_READY, args, environment);
    nodes.put(name, node);
    return node;
  }

  /** Waits until every node started so far has registered. */
  public void awaitNodes(Duration timeout) throws InterruptedException {
    for (ChildProcess node : nodes.values()) node.awaitReady(timeout);
  }

  public FedGridClient client() {
    return client;
  }

  public ChildProcess gateway() {
    return gateway;
  }

  public ChildProcess node(String name) {
    return nodes.get(name);
  }

  public String controlUrl() {
    return (tls() ? "https" : "http") + "://127.0.0.1:" + controlPort;
  }

  public String fleetAddress() {
    return "127.0.0.1:" + fleetPort;
  }

  public int fleetPort() {
    return fleetPort;
  }

  /** The last lines of every process's log, for failure messages. */
  public String tails() {
    var text = new StringBuilder();
    if (gateway != null) text.append("\n--- gateway ---\n").append(gateway.tail());
    nodes.forEach((n, p) -> text.append("\n--- ").append(n).append(" ---\n").append(p.tail()));
    return text.toString();
  }

  /** Stops the nodes, then the gateway, each with SIGTERM and a bounded wait. */
  @Override
  public void close() {
    var all = new ArrayList<>(nodes.values());
    for (ChildProcess node : all.reversed()) node.close();
    if (gateway != null) gateway.close();
    if (client != null) client.close();
  }

  private static int freePort() throws IOException {
    try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}
