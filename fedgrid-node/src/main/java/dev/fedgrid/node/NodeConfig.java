package dev.fedgrid.node;

import dev.fedgrid.api.InvalidRequestException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a {@link NodeDaemon} needs to run, checked when built. Immutable and thread-safe.
 *
 * <pre>{@code
 * NodeConfig config = NodeConfig.builder()
 *     .gateway("gateway.example.org:7601")
 *     .dataset(DatasetOption.parse("name=cancer,path=data/breast_cancer_wisconsin.csv,label=benign"))
 *     .build();
 * }</pre>
 *
 * @param gatewayHost the gateway's host name or address
 * @param gatewayPort its fleet API port (default 7601)
 * @param nodeName the operator's name for this node (default: the host name)
 * @param dataDir where the node keeps its identity (default {@code ~/.fedgrid/node})
 * @param datasets the datasets to host; at least one
 * @param heartbeatInterval how often to send heartbeats; empty (the default) uses the interval the
 *     gateway asks for when the node registers
 * @param maxConcurrentTasks tasks run at once (default 1)
 * @param pollWait how long each task poll may be held open by the gateway (default 25 s; gateways
 *     cap it, 30 s by default)
 * @param callTimeout deadline of every call other than polls and tensor transfers (default 15 s)
 * @param reconnectInitialBackoff first wait after the gateway is unreachable (default 250 ms)
 * @param reconnectMaxBackoff longest wait between attempts (default 10 s)
 * @param reconnectJitter random share added or removed from each wait, in [0, 1) (default 0.2)
 * @param clock the time source deadlines are measured with (default: the system clock)
 * @param tlsDir the directory of this node's certificate, key and the project CA ({@code fedgrid
 *     pki issue node NAME}); when present the node dials the gateway over mutual TLS and checks
 *     its certificate and host name; when empty it dials in plaintext and logs a warning ({@code
 *     fedgrid node start} allows that only with {@code --insecure})
 * @param joinToken the single-use join token ({@code fgj_...}, from {@code fedgrid node join-token
 *     create}) a new node enrols with; needed only while the node has no saved identity the
 *     gateway knows, and never logged ({@link #toString()} leaves it out)
 */
public record NodeConfig(
    String gatewayHost,
    int gatewayPort,
    String nodeName,
    Path dataDir,
    List<DatasetOption> datasets,
    Optional<Duration> heartbeatInterval,
    int maxConcurrentTasks,
    Duration pollWait,
    Duration callTimeout,
    Duration reconnectInitialBackoff,
    Duration reconnectMaxBackoff,
    double reconnectJitter,
    InstantSource clock,
    Optional<Path> tlsDir,
    Optional<String> joinToken) {
  /** The fleet API's default port. */
  public static final int DEFAULT_GATEWAY_PORT = 7601;
  /** Longest poll wait a node asks for; gateways cap it at 30 s by default. */
  public static final Duration MAX_POLL_WAIT = Duration.ofMinutes(5);

  public NodeConfig {
    if (gatewayHost == null || gatewayHost.isBlank()) throw invalid("the gateway host is missing; pass --gateway HOST:PORT");
    if (gatewayPort < 1 || gatewayPort > 65_535) throw invalid("the gateway port must be in [1, 65535], got " + gatewayPort);
    if (nodeName == null || nodeName.isBlank() || nodeName.length() > 128) {
      throw invalid("the node name must have 1 to 128 characters");
    }
    Objects.requireNonNull(dataDir, "dataDir");
    datasets = List.copyOf(datasets);
    if (datasets.isEmpty()) {
      throw invalid("a node needs at least one dataset; pass --dataset name=NAME,path=PATH,label=COLUMN");
    }
    var names = new HashSet<String>();
    for (DatasetOption d : datasets) {
      if (!names.add(d.name())) throw invalid("two datasets are named '" + d.name() + "'; names are unique per node");
    }
    heartbeatInterval = heartbeatInterval == null ? Optional.empty() : heartbeatInterval;
    heartbeatInterval.ifPresent(h -> positive("heartbeat interval", h));
    if (maxConcurrentTasks < 1 || maxConcurrentTasks > 1024) {
      throw invalid("max concurrent tasks must be in [1, 1024], got " + maxConcurrentTasks);
    }
    positive("poll wait", pollWait);
    if (pollWait.compareTo(MAX_POLL_WAIT) > 0) throw invalid("the poll wait must be at most " + MAX_POLL_WAIT + ", got " + pollWait);
    positive("call timeout", callTimeout);
    positive("initial reconnect back-off", reconnectInitialBackoff);
    positive("maximum reconnect back-off", reconnectMaxBackoff);
    if (reconnectMaxBackoff.compareTo(reconnectInitialBackoff) < 0) {
      throw invalid("the maximum reconnect back-off " + reconnectMaxBackoff + " is shorter than the initial one " + reconnectInitialBackoff);
    }
    if (!(reconnectJitter >= 0 && reconnectJitter < 1)) throw invalid("the reconnect jitter must be in [0, 1), got " + reconnectJitter);
    Objects.requireNonNull(clock, "clock");
    tlsDir = tlsDir == null ? Optional.empty() : tlsDir;
    joinToken = joinToken == null ? Optional.empty() : joinToken.map(String::strip).filter(t -> !t.isEmpty());
    if (joinToken.isPresent() && !joinToken.get().matches("fgj_[A-Za-z0-9_-]{16,256}")) {
      throw invalid("the join token is not one: join tokens look like fgj_ followed by 43 letters, digits, '-' or '_'"
          + " (an API token fgt_... is not a join token); ask an administrator for one ('fedgrid node join-token create')");
    }
  }

  @Override
  public String toString() {
    return "NodeConfig[gateway=" + gateway() + ", nodeName=" + nodeName + ", dataDir=" + dataDir + ", datasets=" + datasets.size()
        + ", maxConcurrentTasks=" + maxConcurrentTasks + ", tlsDir=" + tlsDir + ", joinToken=" + (joinToken.isPresent() ? "(set)" : "(none)") + "]";
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@code host:port} of the gateway. */
  public String gateway() {
    return (gatewayHost.contains(":") ? "[" + gatewayHost + "]" : gatewayHost) + ":" + gatewayPort;
  }

  /** The host name of this machine, or {@code node} when it cannot be found. */
  public static String defaultNodeName() {
    try {
      String host = InetAddress.getLocalHost().getHostName();
      return host == null || host.isBlank() ? "node" : host;
    } catch (UnknownHostException e) {
      return "node";
    }
  }

  /** {@code ~/.fedgrid/node}. */
  public static Path defaultDataDir() {
    return Path.of(System.getProperty("user.home"), ".fedgrid", "node");
  }

  private static void positive(String what, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) throw invalid("the " + what + " must be positive, got " + d);
  }

  private static InvalidRequestException invalid(String message) {
    return new InvalidRequestException("INVALID_NODE_CONFIG", message);
  }

  /** Builds a {@link NodeConfig}; the defaults are those documented on the record. Not thread-safe. */
  public static final class Builder {
    private String gatewayHost;
    private int gatewayPort = DEFAULT_GATEWAY_PORT;
    private String nodeName;
    private Path dataDir;
    private final List<DatasetOption> datasets = new ArrayList<>();
    private Duration heartbeatInterval;
    private int maxConcurrentTasks = 1;
    private Duration pollWait = Duration.ofSeconds(25);
    private Duration callTimeout = Duration.ofSeconds(15);
    private Duration reconnectInitialBackoff = Duration.ofMillis(250);
    private Duration reconnectMaxBackoff = Duration.ofSeconds(10);
    private double reconnectJitter = 0.2;
    private InstantSource clock = InstantSource.system();
    private Path tlsDir;
    private String joinToken;

    private Builder() {}

    /**
     * The gateway as {@code HOST:PORT}, {@code HOST} (port 7601) or {@code [IPv6]:PORT}.
     *
     * @throws InvalidRequestException when it cannot be read
     */
    public Builder gateway(String hostPort) {
      if (hostPort == null || hostPort.isBlank()) throw invalid("--gateway needs HOST:PORT, for example localhost:7601");
      String s = hostPort.trim();
      String host;
      String port = null;
      if (s.startsWith("[")) {
        int close = s.indexOf(']');
        if (close < 0) throw invalid("--gateway '" + s + "' opens '[' without closing it; write [::1]:7601");
        host = s.substring(1, close);
        if (close + 1 < s.length()) {
          if (s.charAt(close + 1) != ':') throw invalid("--gateway '" + s + "' must be [IPv6]:PORT");
          port = s.substring(close + 2);
        }
      } else {
        int colon = s.lastIndexOf(':');
        if (colon >= 0 && s.indexOf(':') != colon) throw invalid("--gateway '" + s + "': write IPv6 addresses in brackets, like [::1]:7601");
        host = colon < 0 ? s : s.substring(0, colon);
        port = colon < 0 ? null : s.substring(colon + 1);
      }
      int p = DEFAULT_GATEWAY_PORT;
      if (port != null) {
        try {
          p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
          throw invalid("--gateway '" + s + "': port '" + port + "' is not a number");
        }
      }
      return gateway(host, p);
    }

    public Builder gateway(String host, int port) {
      this.gatewayHost = host;
      this.gatewayPort = port;
      return this;
    }

    public Builder nodeName(String name) {
      this.nodeName = name;
      return this;
    }

    public Builder dataDir(Path dir) {
      this.dataDir = dir;
      return this;
    }

    public Builder dataset(DatasetOption dataset) {
      this.datasets.add(Objects.requireNonNull(dataset, "dataset"));
      return this;
    }

    public Builder datasets(List<DatasetOption> datasets) {
      datasets.forEach(this::dataset);
      return this;
    }

    public Builder heartbeatInterval(Duration interval) {
      this.heartbeatInterval = interval;
      return this;
    }

    public Builder maxConcurrentTasks(int tasks) {
      this.maxConcurrentTasks = tasks;
      return this;
    }

    public Builder pollWait(Duration wait) {
      this.pollWait = wait;
      return this;
    }

    public Builder callTimeout(Duration timeout) {
      this.callTimeout = timeout;
      return this;
    }

    public Builder reconnectBackoff(Duration initial, Duration max) {
      this.reconnectInitialBackoff = initial;
      this.reconnectMaxBackoff = max;
      return this;
    }

    public Builder reconnectJitter(double jitter) {
      this.reconnectJitter = jitter;
      return this;
    }

    public Builder clock(InstantSource clock) {
      this.clock = clock;
      return this;
    }

    /** Dial the gateway over mutual TLS with the material in {@code dir}; null (the default) dials in plaintext, with a warning. */
    public Builder tlsDir(Path dir) {
      this.tlsDir = dir;
      return this;
    }

    /** Enrol with this single-use join token when the node has no identity the gateway knows; null or blank for none. */
    public Builder joinToken(String token) {
      this.joinToken = token;
      return this;
    }

    /** @throws InvalidRequestException with code {@code INVALID_NODE_CONFIG} naming what is wrong */
    public NodeConfig build() {
      return new NodeConfig(
          gatewayHost,
          gatewayPort,
          nodeName == null ? defaultNodeName() : nodeName,
          dataDir == null ? defaultDataDir() : dataDir,
          datasets,
          Optional.ofNullable(heartbeatInterval),
          maxConcurrentTasks,
          pollWait,
          callTimeout,
          reconnectInitialBackoff,
          reconnectMaxBackoff,
          reconnectJitter,
          clock,
          Optional.ofNullable(tlsDir),
          Optional.ofNullable(joinToken));
    }
  }
}
