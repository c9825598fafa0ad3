package dev.fedgrid.gateway.control;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.governance.AuditEvent;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.audit.AuditQuery;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.CloseConnectionException;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit ledger's endpoints: list with filters ({@code GET /audit/events}), follow live as
 * server-sent events ({@code GET /audit/events/stream}) and verify the hash chain ({@code POST
 * /audit/verify}). Who may call them is the routes' {@link Access} (see {@code docs/governance.md}).
 *
 * <p>Filters, all optional and combined with "and": {@code actor} (exact), {@code action} (exact,
 * or every action starting with it when it ends with a dot: {@code release.}), {@code target}
 * (exact id), {@code since} and {@code until} (RFC 3339; since inclusive, until exclusive), {@code
 * after} (a sequence number). A page ends with {@code nextAfter} when more events match: pass it as
 * {@code after} for the next page.
 *
 * <p>Thread-safe: the only state is the (thread-safe) ledger and immutable settings.
 */
final class AuditHandlers {
  private static final Logger LOG = LoggerFactory.getLogger(AuditHandlers.class);
  static final int DEFAULT_LIMIT = 100;
  private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");
  /** A stream with an end time waits this long past it for events committed just before it. */
  private static final Duration END_GRACE = Duration.ofMillis(200);

  private final AuditLog audit;
  private final Duration heartbeat;

  AuditHandlers(AuditLog audit, Duration heartbeat) {
    this.audit = audit;
    this.heartbeat = heartbeat;
  }

  /**
   * The audit routes. Reading the ledger is for compliance officers ({@code can_triage_requests})
   * and administrators ({@code can_manage_users}); see docs/governance.md.
   */
  List<Route> routes() {
    String b = ControlHandlers.BASE + "/audit";
    return List.of(
        new Route(Method.GET, b + "/events", READERS, this::list),
        new Route(Method.GET, b + "/events/stream", READERS, this::stream),
        new Route(Method.POST, b + "/verify", READERS, this::verify));
  }

  /** Who may read and verify the audit ledger. */
  static final Access READERS = Access.anyOf(Permission.TRIAGE_REQUESTS, Permission.MANAGE_USERS);

  /** {@code GET /audit/events}: one page of matching events, oldest first. */
  void list(ServerRequest req, ServerResponse res) {
    AuditQuery query = query(req, after(req, false));
    List<AuditEvent> found = audit.events(query);
    var body = new LinkedHashMap<String, Object>();
    body.put("items", found);
    if (found.size() == query.limit() && !audit.events(query.after(found.getLast().seq()).withLimit(1)).isEmpty()) {
      body.put("nextAfter", found.getLast().seq());
    }
    ControlHandlers.json(res, body);
  }

  /**
   * {@code GET /audit/events/stream}: the matching events after {@code after} (or the {@code
   * Last-Event-ID} a reconnecting client sends), then each new one as it is appended, until the
   * client goes away or the gateway stops. Each SSE event's id is the sequence number, its type the
   * action and its data the event as JSON; idle streams get a keep-alive comment every heartbeat.
   * With {@code until}, the stream ends once that time has passed and every event before it was
   * sent (an event stamped just before {@code until} but committed more than a fifth of a second
   * after it is cut off: list such a window instead).
   */
  void stream(ServerRequest req, ServerResponse res) throws InterruptedException {
    AuditQuery query = query(req, after(req, true)); // a bad filter is a JSON 400 before the stream starts
    long after = query.afterSeq();
    try (OutputStream out = EventStream.open(res)) {
      while (true) {
        List<AuditEvent> batch = audit.await(query.after(after), untilEndOrHeartbeat(query));
        for (AuditEvent event : batch) {
          EventStream.write(out, EventStream.format(event.seq(), event.action(), event));
          after = event.seq();
        }
        if (batch.isEmpty()) {
          if (query.until().isPresent() && Instant.now().isAfter(query.until().get())) return; // nothing more can match
          EventStream.write(out, ": keep-alive\n\n");
        }
      }
    } catch (FedGridException e) {
      LOG.info("audit stream ended after seq {}: {}", after, e.getMessage()); // the gateway is stopping
    } catch (IOException | UncheckedIOException | CloseConnectionException e) {
      throw EventStream.clientLeft("audit stream", after, e);
    }
  }

  /** How long to wait for the next event: a heartbeat, or less when the stream's end time comes sooner. */
  private Duration untilEndOrHeartbeat(AuditQuery query) {
    if (query.until().isEmpty()) return heartbeat;
    Duration left = Duration.between(Instant.now(), query.until().get()).plus(END_GRACE);
    if (left.isNegative()) return END_GRACE;
    return left.compareTo(heartbeat) < 0 ? left : heartbeat;
  }

  /**
   * {@code POST /audit/verify[?expectedHead=<hash>]}: walks the whole chain; 200 with the {@link
   * dev.fedgrid.api.governance.AuditVerification} whether intact or not.
   */
  void verify(ServerRequest req, ServerResponse res) {
    Optional<String> expected = req.query().first("expectedHead").asOptional().map(String::strip).filter(s -> !s.isEmpty());
    if (expected.isPresent() && !HASH.matcher(expected.get()).matches()) {
      throw new InvalidRequestException(
          "INVALID_QUERY", "expectedHead must be an event hash: 64 lower-case hex digits, as headHash of an earlier verification",
          Map.of("parameter", "expectedHead"));
    }
    ControlHandlers.json(res, audit.verify(expected));
  }

  // ---- parameters ----

  private static AuditQuery query(ServerRequest req, long after) {
    return new AuditQuery(
        after,
        text(req, "actor"),
        text(req, "action"),
        text(req, "target"),
        time(req, "since"),
        time(req, "until"),
        limit(req));
  }

  private static Optional<String> text(ServerRequest req, String name) {
    return req.query().first(name).asOptional().map(String::strip).filter(s -> !s.isEmpty());
  }

  private static Optional<Instant> time(ServerRequest req, String name) {
    return text(req, name).map(value -> {
      try {
        return Instant.parse(value);
      } catch (DateTimeParseException e) {
        throw new InvalidRequestException(
            "INVALID_QUERY", name + " must be an RFC 3339 UTC time such as 2026-11-03T12:04:31Z, got '" + shorten(value) + "'",
            Map.of("parameter", name));
      }
    });
  }

  private static int limit(ServerRequest req) {
    Optional<String> value = text(req, "limit");
    if (value.isEmpty()) return DEFAULT_LIMIT;
    try {
      int limit = Integer.parseInt(value.get());
      if (limit >= 1 && limit <= AuditQuery.MAX_LIMIT) return limit;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new InvalidRequestException(
        "INVALID_QUERY", "limit must be an integer in [1, " + AuditQuery.MAX_LIMIT + "], got '" + shorten(value.get()) + "'",
        Map.of("parameter", "limit"));
  }

  /** {@code after}, or for a stream the {@code Last-Event-ID} header a reconnecting client sends. */
  private static long after(ServerRequest req, boolean stream) {
    Optional<String> lastEventId = stream ? req.headers().first(HeaderNames.create("Last-Event-ID")) : Optional.empty();
    String parameter = lastEventId.isPresent() ? "Last-Event-ID" : "after";
    Optional<String> value = lastEventId.isPresent() ? lastEventId : text(req, "after");
    if (value.isEmpty()) return 0;
    try {
      long seq = Long.parseLong(value.get().strip());
      if (seq >= 0) return seq;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new InvalidRequestException(
        "INVALID_QUERY", parameter + " must be the non-negative sequence number of the last event seen, got '" + shorten(value.get()) + "'",
        Map.of("parameter", parameter));
  }

  private static String shorten(String s) {
    return s.length() > 64 ? s.substring(0, 64) + "…" : s;
  }
}
