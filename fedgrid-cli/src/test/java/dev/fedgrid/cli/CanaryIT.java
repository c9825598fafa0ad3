package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.strategy.StrategyConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Raw data rows never leave a node. One hospital's data holds unique marker values — a text marker
 * in an identifier column the node is told to ignore, and a numeric marker in a feature cell — and
 * after registration and a training job neither appears in any byte the gateway received (recorded
 * by a TCP proxy between the nodes and the gateway), in its state files, in its audit ledger, in
 * its log, or in what its control API serves.
 *
 * <p>The same run checks the owner's secrets: the gateway's first start prints them on one stdout
 * line and writes them to {@code owner-credential.json}, and nowhere else. The process's stdout and
 * stderr (its SLF4J log) both go to the log file, and {@link ChildProcess} replaces the two secrets
 * of exactly that one line (it starts with {@code OWNER_CREDENTIAL}) with {@code <redacted>}; a log
 * line carrying a secret starts with a timestamp and is kept as it is. So the log holding the
 * redacted line once and neither secret anywhere proves the gateway printed them once and logged
 * them never.
 *
 * <p>This is the one integration test that runs its grid in plaintext ({@code --insecure}), on
 * purpose. Its question is what the gateway <em>receives</em>, and with TLS the proxy would see
 * only ciphertext, in which no marker could ever be found whether or not a node sent it: the test
 * would pass without testing anything. TLS changes only the encoding on the wire, not the
 * messages, so the plaintext bytes are exactly what a TLS gateway decrypts. That the fleet socket
 * carries no model parameters in the clear with TLS on is {@code
 * NodeDaemonTlsTest.theFleetSocketCarriesNoModelParametersInTheClear}. The same run checks that
 * {@code --insecure} warns loudly, and that an HTTPS client of this gateway is told it speaks no TLS.
 */
class CanaryIT {
  private static final String NUMERIC_MARKER = "271828.1828";

  @TempDir Path dir;

  @Test
  void markersInADatasetNeverReachTheGateway() throws Exception {
    String textMarker = "CANARY-" + UUID.randomUUID();
    List<Path> parts = Cluster.splitCancer(dir.resolve("data"), 2, 3);
    for (int i = 0; i < parts.size(); i++) addMarkers(parts.get(i), i == 0 ? textMarker : "patient", i == 0);

    try (LocalGrid cluster = LocalGrid.insecure(dir).startGateway();
        RecordingProxy proxy = new RecordingProxy(cluster.fleetPort())) {
      for (int i = 0; i < parts.size(); i++) {
        cluster.startNode("hospital-" + (i + 1), "name=cancer,path=" + parts.get(i) + ",label=benign,ignore=record_id", "127.0.0.1:" + proxy.port());
      }
      cluster.awaitNodes(Duration.ofMinutes(3));
      JsonNode owner = new ObjectMapper().readTree(cluster.ownerCredential().toFile());
      var job = cluster.client().submitJob(new JobSpec("canary", List.of("cancer"), ModelSpec.logisticRegression(), null,
          new StrategyConfig.FedAvg(), 3, 2, 60, true));
      var done = Cluster.awaitJob(cluster, job.id(), j -> j.state().isTerminal(), Duration.ofMinutes(2));
      assertThat(done.state()).isEqualTo(JobState.COMPLETED);

      try (var https = dev.fedgrid.client.FedGridClient.builder().baseUri(cluster.controlUrl().replace("http://", "https://")).build()) {
        assertThatThrownBy(https::health).isInstanceOf(dev.fedgrid.api.UnavailableException.class).hasMessageContaining("does not speak TLS")
            .hasMessageContaining("--insecure");
      }
      String api = cluster.client().datasets(null, null).toString() + cluster.client().job(job.id()) + cluster.client().rounds(job.id())
          + cluster.client().nodes();
      cluster.gateway().close(); // flush the log and the database
      byte[] received = proxy.received();
      assertThat(received.length).as("the proxy saw the fleet traffic").isGreaterThan(10_000);

      var places = new ArrayList<byte[]>();
      places.add(received);
      places.add(api.getBytes(StandardCharsets.UTF_8));
      try (Stream<Path> files = Files.walk(dir.resolve("gateway"))) {
        for (Path f : files.filter(Files::isRegularFile).toList()) places.add(Files.readAllBytes(f));
      }
      places.add(Files.readAllBytes(cluster.gateway().log()));
      String ledger = auditLedger(dir.resolve("gateway").resolve("gateway.db"));
      assertThat(ledger).as("the audit ledger recorded the job").contains(job.id().value());
      places.add(ledger.getBytes(StandardCharsets.UTF_8));
      byte[] numberAsFloat = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(Float.parseFloat(NUMERIC_MARKER)).array();
      for (byte[] place : places) {
        assertThat(indexOf(place, textMarker.getBytes(StandardCharsets.UTF_8))).isEqualTo(-1);
        assertThat(indexOf(place, NUMERIC_MARKER.getBytes(StandardCharsets.UTF_8))).isEqualTo(-1);
        assertThat(indexOf(place, numberAsFloat)).isEqualTo(-1);
      }

      List<String> log = Files.readAllLines(cluster.gateway().log());
      assertThat(log).as("--insecure warns on stderr and in the log")
          .anyMatch(l -> l.startsWith("WARNING: --insecure: TLS is OFF")).anyMatch(l -> l.contains("[WARN]") && l.contains("INSECURE: TLS is off"));
      assertThat(Files.readString(cluster.node("hospital-1").log())).contains("WARNING: --insecure: TLS is OFF").contains("INSECURE: TLS is off");
      assertThat(log).filteredOn(l -> l.contains("OWNER_CREDENTIAL")).as("the owner credential line, printed once on stdout")
          .containsExactly("OWNER_CREDENTIAL user=owner password=<redacted> token=<redacted>");
      String password = owner.get("password").asText();
      String token = owner.get("token").asText();
      assertThat(password).isNotBlank();
      assertThat(token).startsWith("fgt_");
      for (String secret : List.of(password, token)) {
        assertThat(log).as("the gateway log").noneMatch(l -> l.contains(secret));
        assertThat(api).doesNotContain(secret);
        try (Stream<Path> files = Files.walk(dir.resolve("gateway"))) {
          for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.equals(cluster.ownerCredential())).toList()) {
            assertThat(indexOf(Files.readAllBytes(f), secret.getBytes(StandardCharsets.UTF_8))).as("%s holds an owner secret", f).isEqualTo(-1);
          }
        }
      }
    }
  }

  /** Every row of the audit ledger as text, read from the gateway's database after it stopped. */
  private static String auditLedger(Path database) throws SQLException {
    var text = new StringBuilder();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + database);
        var rows = c.createStatement().executeQuery("SELECT seq, at, actor, action, target, details, previous_hash, hash FROM audit_events ORDER BY seq")) {
      while (rows.next()) {
        for (int i = 1; i <= 8; i++) text.append(rows.getString(i)).append('\t');
        text.append('\n');
      }
    }
    return text.toString();
  }

  /** Adds an identifier column, and in the marked file puts the markers into the first row. */
  private static void addMarkers(Path csv, String id, boolean marked) throws IOException {
    List<String> lines = Files.readAllLines(csv);
    var out = new StringBuilder("record_id,").append(lines.getFirst()).append('\n');
    for (int i = 1; i < lines.size(); i++) {
      String row = lines.get(i);
      if (marked && i == 1) row = NUMERIC_MARKER + row.substring(row.indexOf(','));
      out.append(marked && i == 1 ? id : "patient-" + i).append(',').append(row).append('\n');
    }
    Files.writeString(csv, out);
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) if (haystack[i + j] != needle[j]) continue outer;
      return i;
    }
    return -1;
  }

  /** A loopback TCP proxy that forwards to the gateway's fleet port and records every byte sent to it. */
  static final class RecordingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int target;
    private final ByteArrayOutputStream toGateway = new ByteArrayOutputStream();
    private final List<Socket> sockets = new ArrayList<>();

    RecordingProxy(int target) throws IOException {
      this.target = target;
      this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread.ofVirtual().start(this::accept);
    }

    int port() {
      return server.getLocalPort();
    }

    byte[] received() {
      synchronized (toGateway) {
        return toGateway.toByteArray();
      }
    }

    private void accept() {
      while (!server.isClosed()) {
        try {
          Socket client = server.accept();
          Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
          synchronized (sockets) {
            sockets.add(client);
            sockets.add(upstream);
          }
          Thread.ofVirtual().start(() -> pump(client, upstream, true));
          Thread.ofVirtual().start(() -> pump(upstream, client, false));
        } catch (IOException e) {
          return;
        }
      }
    }

    private void pump(Socket from, Socket to, boolean record) {
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) > 0) {
          if (record) {
            synchronized (toGateway) {
              toGateway.write(buffer, 0, n);
            }
          }
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // connection closed
      } finally {
        try {
          to.shutdownOutput();
        } catch (IOException ignored) {
          // already closed
        }
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      synchronized (sockets) {
        for (Socket s : sockets) s.close();
      }
    }
  }
}
