package dev.fedgrid.gateway.control;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.json.Json;
import dev.fedgrid.gateway.state.JobEvent;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams one job's events as server-sent events ({@code text/event-stream}).
 *
 * <p>Each {@link JobEvent} becomes one SSE event whose {@code id} is the event's sequence number,
 * whose {@code event} is its type and whose {@code data} is the event as one line of JSON. A client
 * that reconnects with {@code Last-Event-ID: n} (browsers do this by themselves) gets the events
 * after {@code n}, so nothing is lost or repeated across a dropped connection.
 *
 * <p>The loop long-polls {@link GatewayControl#events} for at most one heartbeat interval at a
 * time; when nothing arrived it writes an SSE comment ({@code : keep-alive}), which keeps proxies
 * from closing an idle connection and reveals a client that went away (the write fails). Once the
 * job is in a terminal state and every event up to then has been written, the stream ends. To
 * avoid racing the coordinator, which may record the final state a moment before the final event,
 * the last poll after a terminal state waits a short grace period.
 *
 * <p>A client leaving is the normal end of a stream (a browser aborts its fetch when the user leaves
 * the job page): see {@link #clientLeft}.
 *
 * <p>Thread-safe: each call to {@link #serve} uses only its own locals.
 */
final class EventStream {
  private static final Logger LOG = LoggerFactory.getLogger(EventStream.class);
  private static final Duration TERMINAL_GRACE = Duration.ofMillis(250);
  /** Browsers wait this long before reconnecting a dropped stream. */
  private static final int RETRY_MILLIS = 2000;

  private final GatewayControl control;
  private final Duration heartbeat;

  EventStream(GatewayControl control, Duration heartbeat) {
    this.control = control;
    this.heartbeat = heartbeat;
  }

  /**
   * Writes the events of {@code job} after {@code afterSeq} until the job has finished; returns
   * when the stream ends.
   *
   * @throws CloseConnectionException when the client has gone away ({@link #clientLeft})
   * @throws FedGridException before anything is written when the job does not exist, so that the
   *     caller still answers with a JSON error
   */
  void serve(Principal caller, JobId job, long afterSeq, ServerResponse response) throws InterruptedException {
    Job snapshot = control.job(caller, job); // 404 as JSON before the stream is committed
    long after = afterSeq;
    try (OutputStream out = open(response)) {
      while (true) {
        boolean terminal = snapshot.state().isTerminal();
        List<JobEvent> batch = control.events(caller, job, after, terminal ? TERMINAL_GRACE : heartbeat);
        for (JobEvent event : batch) {
          write(out, format(event));
          after = event.seq();
        }
        if (batch.isEmpty()) {
          if (terminal) return;
          write(out, ": keep-alive\n\n");
        }
        snapshot = control.job(caller, job);
      }
    } catch (FedGridException e) {
      // The stream is committed, so no error body can follow: end it cleanly (the job was deleted
      // while watched, or the gateway is stopping).
      LOG.info("event stream of {} ended after seq {}: {}", job, after, e.getMessage());
    } catch (IOException | UncheckedIOException | CloseConnectionException e) {
      throw clientLeft("event stream of " + job, after, e);
    }
  }

  /**
   * What a stream throws once its client has gone away: logged at debug level only, and a {@link
   * CloseConnectionException}, which Helidon takes as "drop this connection" and handles quietly.
   *
   * <p>Why not simply catch {@code IOException}: Helidon's HTTP/1 response stream reports a write to
   * a reset or closed connection as its own unchecked {@code ServerConnectionException} (a {@code
   * CloseConnectionException}), not as an {@code IOException}. Left uncaught, it reached the
   * control server's error handler, which logged an unexpected failure and then tried to send a
   * JSON error on a response whose output stream was already in use; Helidon refused that with
   * "When output stream is used, response is completed by closing the output stream, do not call
   * send()" and logged it too. Rethrowing a {@code CloseConnectionException} (which {@link
   * ControlServer} passes through) ends the exchange without an answer, and Helidon closes the
   * socket, releasing the connection and its virtual thread. Shared with the audit stream.
   *
   * @param stream what ended, for the log line ("event stream of job_…")
   * @param afterSeq the last event sequence number written
   */
  static CloseConnectionException clientLeft(String stream, long afterSeq, Exception cause) {
    LOG.debug("{} closed by the client after seq {}: {}", stream, afterSeq, cause.toString());
    return cause instanceof CloseConnectionException closing ? closing : new CloseConnectionException(stream + " closed by the client", cause);
  }

  /** One SSE event. */
  static String format(JobEvent event) {
    return format(event.seq(), event.type(), event);
  }

  /**
   * One SSE event with this id and type whose data is {@code data} as one line of JSON; newlines
   * in the type are not allowed by the format and are replaced. Shared with the audit stream.
   */
  static String format(long id, String type, Object data) {
    String json;
    try {
      json = Json.mapper().writeValueAsString(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return "id: " + id + "\nevent: " + type.replaceAll("[\\r\\n]", " ") + "\ndata: " + json + "\n\n";
  }

  /**
   * Commits {@code response} as an event stream (status 200, no caching or proxy buffering) and
   * writes the reconnection delay; the caller writes events to the returned stream and closes it.
   * Shared with the audit stream.
   */
  static OutputStream open(ServerResponse response) throws IOException {
    response.status(200);
    response.headers().contentType(MediaTypes.TEXT_EVENT_STREAM);
    response.header(HeaderNames.CACHE_CONTROL, "no-cache");
    response.header("X-Accel-Buffering", "no"); // nginx: do not buffer the stream
    OutputStream out = response.outputStream();
    write(out, "retry: " + RETRY_MILLIS + "\n\n");
    return out;
  }

  static void write(OutputStream out, String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }
}
