package dev.fedgrid.gateway.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.gateway.access.TestIdentity;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that leaves a live event stream (a browser closing the job page aborts its fetch, which
 * resets the connection) is an ordinary end of the stream: nothing at WARN or ERROR is logged, by
 * FedGrid (SLF4J, here slf4j-simple on {@code System.err}) or by Helidon (java.util.logging), and
 * the server goes on serving.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EventStreamDisconnectTest {
  private static final Duration HEARTBEAT = Duration.ofMillis(100);

  @TempDir Path dir;
  private TestIdentity identity;
  private FakeControl control;
  private ControlServer server;
  private final List<String> julProblems = new CopyOnWriteArrayList<>();
  private final Handler julCapture = new Handler() {
    @Override
    public void publish(LogRecord r) {
      if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
        julProblems.add(r.getLevel() + " " + r.getLoggerName() + ": " + r.getMessage() + (r.getThrown() == null ? "" : " " + r.getThrown()));
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  };
  private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();
  private PrintStream originalErr;

  @BeforeEach
  void start() {
    control = new FakeControl();
    identity = TestIdentity.open(dir);
    server = ControlServer.builder(control, identity.identity).audit(identity.audit).heartbeat(HEARTBEAT).start();
    Logger.getLogger("").addHandler(julCapture);
    originalErr = System.err;
    System.setErr(new PrintStream(new TeeStream(originalErr, stderr), true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void stop() {
    System.setErr(originalErr);
    Logger.getLogger("").removeHandler(julCapture);
    server.close();
    identity.close();
  }

  @Test
  void aClientResettingALiveStreamIsQuietAndTheServerGoesOn() throws Exception {
    Job job = control.addJob(JobState.RUNNING);
    control.appendEvent(job.id(), "started", "started on 1 node");
    for (int i = 0; i < 3; i++) {
      openAndReset("/api/v1/jobs/" + job.id() + "/events", "event: started", true);
      openAndReset("/api/v1/audit/events/stream", "retry: ", true);
    }
    openAndReset("/api/v1/jobs/" + job.id() + "/events", "event: started", false); // an orderly close (FIN), as curl does
    // Several heartbeats: each stream writes into its dead connection and must notice it quietly.
    Thread.sleep(HEARTBEAT.toMillis() * 8);

    HttpClient http = HttpClient.newHttpClient();
    var res = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/v1/jobs/" + job.id()))
        .header("Authorization", "Bearer " + identity.owner.token()).build(), BodyHandlers.ofString());
    assertThat(res.statusCode()).isEqualTo(200);
    http.close();

    String logged = stderr.toString(StandardCharsets.UTF_8);
    assertThat(logged).doesNotContain("ERROR").doesNotContain("WARN").doesNotContain("do not call send");
    assertThat(julProblems).isEmpty();
  }

  /** Opens a stream, reads until {@code marker}, then closes the socket: with a reset, or an orderly close. */
  private void openAndReset(String path, String marker, boolean reset) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
          + "Authorization: Bearer " + identity.owner.token() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String head = readUntil(socket.getInputStream(), marker);
      assertThat(head).startsWith("HTTP/1.1 200").contains("text/event-stream");
      if (reset) socket.setSoLinger(true, 0); // close with a reset, as a browser aborting its fetch does
    }
  }

  private static String readUntil(InputStream in, String marker) throws IOException {
    var seen = new StringBuilder();
    while (!seen.toString().contains(marker)) {
      int b;
      try {
        b = in.read();
      } catch (java.net.SocketTimeoutException e) {
        throw new IOException("no '" + marker + "' within the timeout: " + seen, e);
      }
      if (b < 0) throw new IOException("stream ended before '" + marker + "': " + seen);
      seen.append((char) b);
    }
    return seen.toString();
  }

  /** Writes to both streams, so the log still reaches the console while the test reads it. */
  private static final class TeeStream extends OutputStream {
    private final OutputStream a;
    private final OutputStream b;

    TeeStream(OutputStream a, OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int c) throws IOException {
      a.write(c);
      synchronized (b) {
        b.write(c);
      }
    }

    @Override
    public void write(byte[] buf, int off, int len) throws IOException {
      a.write(buf, off, len);
      synchronized (b) {
        b.write(buf, off, len);
      }
    }
  }
}
