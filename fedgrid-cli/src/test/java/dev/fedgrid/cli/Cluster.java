package dev.fedgrid.cli;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.client.FedGridClient;
import dev.fedgrid.core.data.Partitioners;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;

/**
 * A gateway and nodes as real OS processes on loopback, for integration tests. Ports are fixed
 * when the cluster is made, so a gateway restarted on the same data directory is found again by
 * its nodes.
 */
final class Cluster implements AutoCloseable {
  final Path dir;
  final int controlPort;
  final int fleetPort;
  ChildProcess gateway;
  final Map<String, ChildProcess> nodes = new LinkedHashMap<>();
  private FedGridClient client;
  private int gatewayStarts;

  Cluster(Path dir) throws IOException {
    this.dir = dir;
    this.controlPort = freePort();
    this.fleetPort = freePort();
  }

  /** Starts (or restarts) the gateway on the cluster's ports and data directory. */
  Cluster startGateway() throws Exception {
    gatewayStarts++;
    gateway = ChildProcess.start("gateway", dir.resolve("logs/gateway-" + gatewayStarts + ".log"), DemoCommand.GATEWAY_READY,
        List.of("gateway", "start", "--data-dir", dir.resolve("gateway").toString(), "--control-port", String.valueOf(controlPort),
            "--fleet-port", String.valueOf(fleetPort), "--heartbeat", "1s", "--node-timeout", "4s"));
    Matcher ready = gateway.awaitReady(Duration.ofSeconds(60));
    if (client == null) client = FedGridClient.builder().baseUri(ready.group(1)).timeout(Duration.ofSeconds(30)).build();
    return this;
  }

  /** Starts a node serving one dataset, dialling {@code fleetAddress} (the gateway's by default). */
  ChildProcess startNode(String name, String datasetOption, String fleetAddress) throws Exception {
    ChildProcess node = ChildProcess.start(name, dir.resolve("logs/" + name + ".log"), DemoCommand.NODE_READY,
        List.of("node", "start", "--gateway", fleetAddress, "--name", name, "--data-dir", dir.resolve("nodes/" + name).toString(),
            "--dataset", datasetOption));
    nodes.put(name, node);
    return node;
  }

  ChildProcess startNode(String name, String datasetOption) throws Exception {
    return startNode(name, datasetOption, "127.0.0.1:" + fleetPort);
  }

  void awaitNodesReady() throws Exception {
    for (ChildProcess node : nodes.values()) node.awaitReady(Duration.ofMinutes(3));
  }

  FedGridClient client() {
    return client;
  }

  /** Polls the job until {@code condition} holds; fails with the job and the logs' tails otherwise. */
  Job awaitJob(JobId id, Predicate<Job> condition, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Job job = null;
    while (System.nanoTime() < deadline) {
      try {
        job = client.job(id);
        if (condition.test(job)) return job;
      } catch (RuntimeException e) {
        // the gateway may be restarting
      }
      Thread.sleep(100);
    }
    var logs = new StringBuilder();
    if (gateway != null) logs.append("\n--- gateway ---\n").append(gateway.tail());
    nodes.forEach((n, p) -> logs.append("\n--- ").append(n).append(" ---\n").append(p.tail()));
    throw new AssertionError("job " + id + " never met the condition within " + timeout + "; last seen: " + job + logs);
  }

  /**
   * Splits the vendored breast-cancer CSV IID into {@code parts} files and returns their paths; each
   * row gets {@code extra} appended (column {@code extraHeader}) when given.
   */
  static List<Path> splitCancer(Path dir, int parts, long seed) throws IOException {
    List<String> lines = Files.readAllLines(repoData().resolve("breast_cancer_wisconsin.csv")).stream().filter(l -> !l.isBlank()).toList();
    List<String> rows = lines.subList(1, lines.size());
    List<int[]> split = Partitioners.iid(rows.size(), parts, seed);
    Files.createDirectories(dir);
    var files = new ArrayList<Path>();
    for (int i = 0; i < parts; i++) {
      var text = new StringBuilder(lines.getFirst()).append('\n');
      for (int r : split.get(i)) text.append(rows.get(r)).append('\n');
      Path f = dir.resolve("part-" + (i + 1) + ".csv");
      Files.writeString(f, text);
      files.add(f);
    }
    return files;
  }

  /** The repository's {@code data/} directory, found from the working directory upwards. */
  static Path repoData() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.exists(p.resolve("data/breast_cancer_wisconsin.csv"))) return p.resolve("data");
    }
    throw new IllegalStateException("cannot find data/breast_cancer_wisconsin.csv above " + Path.of("").toAbsolutePath());
  }

  static int freePort() throws IOException {
    try (var socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() throws Exception {
    for (ChildProcess node : nodes.values()) node.close();
    if (gateway != null) gateway.close();
    if (client != null) client.close();
  }
}
