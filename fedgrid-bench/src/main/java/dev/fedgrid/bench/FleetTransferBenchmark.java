package dev.fedgrid.bench;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.TaskId;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TensorSpec;
import dev.fedgrid.core.tensor.TensorCodec;
import dev.fedgrid.gateway.fleet.FleetBackend;
import dev.fedgrid.gateway.fleet.FleetServer;
import dev.fedgrid.gateway.fleet.FleetServerOptions;
import dev.fedgrid.gateway.fleet.NodeHello;
import dev.fedgrid.gateway.fleet.Registration;
import dev.fedgrid.gateway.fleet.TaskAssignment;
import dev.fedgrid.node.BenchFleetClient;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * End-to-end benchmark: one large update (25M float32 parameters, 100 MB) pushed to and fetched
 * from the gateway over loopback through the real fleet API, against raw TCP over loopback in the
 * same run.
 *
 * <p>The gateway side is {@link FleetServer} (gRPC over Netty, chunk checks, {@link TensorCodec}
 * decoding of the pushed update and encoding of the fetched parameters) over a {@link
 * FleetBackend} that accepts every update and serves the same parameters to every fetch; the node
 * side is the node's own fleet client ({@code GatewayClient}, through {@link BenchFleetClient})
 * with its flow control and 1 MiB chunks. A push is timed from the node encoding its parameters
 * until the gateway acknowledged the decoded update; a fetch from the request until the node
 * decoded the parameters, as a node's task runner does. The baseline writes the same encoded bytes
 * through one plain socket pair on loopback, 1 MiB per write, into a fresh array on the receiving
 * side, and waits for a one-byte acknowledgement.
 *
 * <p>Both sides run in this process, so the heap figures cover the node and the gateway together:
 * before each timed transfer {@code System.gc()} runs and the heap in use is read ("at rest"), then
 * a thread samples the heap in use every millisecond until the transfer ended ("peak"; it includes
 * garbage not yet collected, and misses peaks shorter than the sampling period). Netty's direct
 * buffers are outside the heap and not counted.
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "fedgrid-bench/target/fedgrid-bench-0.1.0-SNAPSHOT.jar:fedgrid-cli/target/fedgrid-cli.jar:fedgrid-cli/target/lib/*" \
 *     dev.fedgrid.bench.FleetTransferBenchmark [--params 25000000] [--warmup 2] [--repeats 10] [--out report.md]
 * </pre>
 *
 * Writes {@code fedgrid-bench/target/reports/fleet-transfer.md}. Gateway logging is at WARN unless
 * {@code -Dorg.slf4j.simpleLogger.defaultLogLevel} says otherwise.
 */
public final class FleetTransferBenchmark {
  private static final int CHUNK = 1 << 20;
  private static final Duration TIMEOUT = Duration.ofMinutes(10);
  private static final String FLEET = "fleet API (gRPC)";
  private static final String RAW = "raw TCP socket";

  private FleetTransferBenchmark() {}

  /** One timed transfer: codec and total seconds, and heap in bytes. */
  record Sample(double codecSeconds, double seconds, long heapAtRest, long heapPeak) {}

  /** The timed transfers of one path and direction. */
  record Row(String path, String direction, boolean up, long bytes, List<Sample> samples) {
    boolean raw() {
      return path.equals(RAW);
    }

    double medianSeconds() {
      return Stats.median(samples.stream().mapToDouble(Sample::seconds).toArray());
    }

    double medianCodecSeconds() {
      return Stats.median(samples.stream().mapToDouble(Sample::codecSeconds).toArray());
    }

    double megabytesPerSecond() {
      return bytes / medianSeconds() / 1e6;
    }

    long maxPeak() {
      return samples.stream().mapToLong(Sample::heapPeak).max().orElse(0);
    }

    long maxAtRest() {
      return samples.stream().mapToLong(Sample::heapAtRest).max().orElse(0);
    }

    /** The most heap one transfer took beyond what was in use before it. */
    long maxGrowth() {
      return samples.stream().mapToLong(s -> s.heapPeak() - s.heapAtRest()).max().orElse(0);
    }
  }

  @FunctionalInterface
  private interface Transfer {
    /** Runs one transfer; returns the seconds spent encoding or decoding, if any. */
    double run() throws Exception;
  }

  public static void main(String[] args) throws Exception {
    int params = 25_000_000;
    int warmup = 2;
    int repeats = 10;
    Path out = Path.of("fedgrid-bench/target/reports/fleet-transfer.md");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--params" -> params = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--repeats" -> repeats = Integer.parseInt(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        default -> {
          System.err.println("unknown option " + args[i] + "; see the class javadoc");
          System.exit(2);
        }
      }
    }
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    long started = System.nanoTime();

    float[] values = new float[params];
    var random = new SplittableRandom(42);
    for (int i = 0; i < values.length; i++) values[i] = (float) random.nextGaussian();
    var layout = new ParameterLayout(List.of(TensorSpec.of("weights", params)));
    var global = new Parameters(layout, values);
    int count = params;
    byte[] encoded = TensorCodec.encode(global);
    var rows = new ArrayList<Row>();

    var backend = new TransferBackend(global);
    JobId job = JobId.random();
    try (FleetServer server = FleetServer.start(backend, "127.0.0.1", 0, FleetServerOptions.defaults());
        var client = new BenchFleetClient("127.0.0.1", server.port(), backend.node, backend.token)) {
      rows.add(measure(FLEET, "push, node → gateway", true, encoded.length, warmup, repeats, () -> {
        long t = System.nanoTime();
        byte[] update = TensorCodec.encode(global);
        double codec = (System.nanoTime() - t) / 1e9;
        client.push(TaskId.random(), job, 1, update, 1000, TIMEOUT);
        if (backend.received.getAndSet(0) != count) throw new IllegalStateException("the gateway did not get the whole update");
        return codec;
      }));
      rows.add(measure(FLEET, "fetch, gateway → node", false, encoded.length, warmup, repeats, () -> {
        byte[] bytes = client.fetch(TaskId.random(), job, 1, TIMEOUT);
        long t = System.nanoTime();
        Parameters p = TensorCodec.decode(bytes, layout);
        if (p.values().length != count) throw new IllegalStateException("the node did not get the whole model");
        return (System.nanoTime() - t) / 1e9;
      }));
    }
    try (var raw = new RawLoopback()) {
      rows.add(measure(RAW, "node → gateway", true, encoded.length, warmup, repeats, () -> raw.send(encoded, true)));
      rows.add(measure(RAW, "gateway → node", false, encoded.length, warmup, repeats, () -> raw.send(encoded, false)));
    }

    String report = render(rows, params, warmup, repeats, (System.nanoTime() - started) / 1e9, String.join(" ", args));
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, report);
    System.out.println(report);
    System.out.println("Report written to " + out.toAbsolutePath());
  }

  private static Row measure(String path, String direction, boolean up, long bytes, int warmup, int repeats, Transfer transfer) throws Exception {
    System.err.println("== " + path + ", " + direction);
    for (int i = 0; i < warmup; i++) transfer.run();
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    var samples = new ArrayList<Sample>();
    for (int i = 0; i < repeats; i++) {
      System.gc();
      long atRest = memory.getHeapMemoryUsage().getUsed();
      var peak = new AtomicLong(atRest);
      Thread sampler = Thread.ofPlatform().daemon().start(() -> {
        while (!Thread.currentThread().isInterrupted()) {
          peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
          try {
            Thread.sleep(1);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      long t = System.nanoTime();
      double codec;
      try {
        codec = transfer.run();
      } finally {
        sampler.interrupt();
        sampler.join();
      }
      var s = new Sample(codec, (System.nanoTime() - t) / 1e9, atRest, peak.get());
      System.err.printf(Locale.ROOT, "  %.3f s, %.0f MB/s, peak heap %d MB%n", s.seconds(), bytes / s.seconds() / 1e6, s.heapPeak() >> 20);
      samples.add(s);
    }
    return new Row(path, direction, up, bytes, samples);
  }

  static String render(List<Row> rows, int params, int warmup, int repeats, double wallSeconds, String args) {
    var md = new StringBuilder();
    md.append("# Fleet transfer: a 100 MB update through the fleet API\n\n");
    md.append("Measured ").append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE))
        .append(" (UTC) by `dev.fedgrid.bench.FleetTransferBenchmark").append(args.isEmpty() ? "" : " " + args)
        .append("` in ").append(String.format(Locale.ROOT, "%.0f", wallSeconds)).append(" s.\n\n");
    md.append("One update of ").append(String.format(Locale.ROOT, "%,d", params)).append(" float32 parameters (")
        .append(String.format(Locale.ROOT, "%,d", rows.getFirst().bytes())).append(" bytes encoded) over loopback, node and gateway in one process. ");
    md.append("*Fleet API*: the gateway's `FleetServer` (gRPC over Netty, plaintext) and the node's `GatewayClient`, 1 MiB chunks with flow control. ")
        .append("A push is timed from the node encoding its parameters until the gateway acknowledged the decoded update; a fetch from the request ")
        .append("until the node decoded the parameters (the gateway encodes them for every fetch). The codec column is the node's encode or decode, part of the time. ");
    md.append("*Raw TCP*: the same encoded bytes through one plain socket pair, 1 MiB per write, into a fresh array, then a one-byte acknowledgement. ");
    md.append("MB/s is encoded bytes per median second (1 MB = 10^6 bytes); ").append(warmup).append(" untimed warm-up and ").append(repeats)
        .append(" timed transfers per row. Heap: after `System.gc()` before each transfer (at rest; it holds the benchmark's model and encoded copy), ")
        .append("and the largest heap in use sampled every millisecond during it (peak, garbage included, node and gateway together), each column the largest of the timed transfers. ")
        .append("Netty's direct buffers are not counted.\n\n");
    md.append("## Machine\n\n| | |\n|---|---|\n").append(Machine.tableRows());
    md.append("| heap | ").append(Runtime.getRuntime().maxMemory() >> 20).append(" MiB max |\n\n");
    md.append("## Results\n\n");
    md.append("| path | direction | median time (s) | MB/s | of which codec (s) | heap at rest (MB) | peak heap (MB) | peak − at rest (MB) | share of raw TCP MB/s |\n");
    md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Row row : rows) {
      Optional<Row> raw = rows.stream().filter(r -> r.raw() && r.up() == row.up()).findFirst();
      md.append("| ").append(row.path()).append(" | ").append(row.direction())
          .append(String.format(Locale.ROOT, " | %.3f | %.0f | %s | %d | %d | %d | ", row.medianSeconds(), row.megabytesPerSecond(),
              row.raw() ? "–" : String.format(Locale.ROOT, "%.3f", row.medianCodecSeconds()), row.maxAtRest() / 1_000_000, row.maxPeak() / 1_000_000, row.maxGrowth() / 1_000_000))
          .append(raw.map(r -> String.format(Locale.ROOT, "%.2f", row.megabytesPerSecond() / r.megabytesPerSecond())).orElse("–")).append(" |\n");
    }
    md.append("\nThe last column divides the row's MB/s by raw TCP's in the same direction.\n");
    return md.toString();
  }

  /**
   * The gateway's side of the fleet API for this benchmark: one known node, every fetch served the
   * same parameters, every pushed update counted and dropped (a real gateway folds it into the
   * round's aggregate).
   */
  private static final class TransferBackend implements FleetBackend {
    final NodeId node = NodeId.random();
    final String token = "bench-token";
    final AtomicLong received = new AtomicLong();
    private final Parameters parameters;

    TransferBackend(Parameters parameters) {
      this.parameters = parameters;
    }

    @Override
    public Registration register(NodeHello hello) {
      return new Registration(node, token, List.of(), Duration.ofSeconds(5));
    }

    @Override
    public void authenticate(NodeId node, String token) {
      if (!this.node.equals(node) || !this.token.equals(token)) throw new UnauthenticatedException("NODE_UNKNOWN", "not the benchmark's node");
    }

    @Override
    public Optional<String> nodeName(NodeId node) {
      return Optional.of("bench");
    }

    @Override
    public void heartbeat(NodeId node) {}

    @Override
    public Optional<TaskAssignment> pollTask(NodeId node, Duration maxWait) {
      return Optional.empty();
    }

    @Override
    public Parameters taskParameters(NodeId node, TaskId task) {
      return parameters;
    }

    @Override
    public void completeFit(NodeId node, TaskId task, Parameters update, long examples, Map<String, Double> metrics) {
      received.set(update.values().length);
    }

    @Override
    public void completeEvaluation(NodeId node, TaskId task, long examples, Map<String, Double> metrics) {}

    @Override
    public void failTask(NodeId node, TaskId task, String reason) {}
  }

  /** One socket pair on loopback, "node" and "gateway" ends, sending length-prefixed byte arrays. */
  private static final class RawLoopback implements AutoCloseable {
    private final ServerSocket listener;
    private final Socket node;
    private final Socket gateway;
    private final ExecutorService receiver = Executors.newSingleThreadExecutor();

    RawLoopback() throws IOException {
      listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
      node = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
      gateway = listener.accept();
    }

    /** Sends {@code bytes} node → gateway ({@code up}) or back, until acknowledged; no codec time. */
    double send(byte[] bytes, boolean up) throws Exception {
      Socket from = up ? node : gateway;
      Socket to = up ? gateway : node;
      Future<byte[]> arrived = receiver.submit(() -> {
        var in = new DataInputStream(to.getInputStream());
        byte[] buffer = new byte[in.readInt()];
        in.readFully(buffer);
        to.getOutputStream().write(1);
        return buffer;
      });
      var out = new DataOutputStream(from.getOutputStream());
      out.writeInt(bytes.length);
      for (int offset = 0; offset < bytes.length; offset += CHUNK) out.write(bytes, offset, Math.min(CHUNK, bytes.length - offset));
      out.flush();
      if (from.getInputStream().read() != 1) throw new IOException("no acknowledgement");
      if (arrived.get().length != bytes.length) throw new IOException("short transfer");
      return 0;
    }

    @Override
    public void close() throws IOException {
      receiver.shutdownNow();
      node.close();
      gateway.close();
      listener.close();
    }
  }
}
