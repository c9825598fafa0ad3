package dev.fedgrid.client;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.UnavailableException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * Turns what can go wrong talking to the gateway into {@link FedGridException}s: an error body
 * becomes the subclass of its HTTP status with the gateway's code, message and details; a gateway
 * that cannot be reached becomes {@code GATEWAY_UNREACHABLE}.
 *
 * <p>Thread-safe (stateless).
 */
final class Errors {
  private static final Pattern CODE = Pattern.compile("[A-Z][A-Z0-9_]*");

  private Errors() {}

  /** The failure an error answer stands for. */
  static FedGridException fromResponse(int status, byte[] body, String method, URI uri) {
    return fromResponse(status, body, method, uri, HttpHeaders.of(Map.of(), (a, b) -> true));
  }

  /**
   * As {@link #fromResponse(int, byte[], String, URI)}; a {@code Retry-After} header in seconds
   * becomes {@code details.retryAfterSeconds} when the body did not give it.
   */
  static FedGridException fromResponse(int status, byte[] body, String method, URI uri, HttpHeaders headers) {
    String code = null;
    String message = null;
    Map<String, Object> details = Map.of();
    try {
      Map<String, Object> map = ClientJson.MAPPER.readValue(body, new TypeReference<Map<String, Object>>() {});
      if (map.get("code") instanceof String c && CODE.matcher(c).matches()) code = c;
      if (map.get("message") instanceof String m) message = m;
      if (map.get("details") instanceof Map<?, ?> d) {
        @SuppressWarnings("unchecked")
        Map<String, Object> typed = (Map<String, Object>) d;
        details = typed;
      }
    } catch (IOException | RuntimeException e) {
      // not a FedGrid error body: described below
    }
    if (code == null || message == null) {
      String text = new String(body, 0, Math.min(body.length, 200), StandardCharsets.UTF_8).strip();
      code = "HTTP_" + status;
      message = method + " " + uri + " answered HTTP " + status + (text.isEmpty() ? "" : ": " + text)
          + "; is " + uri.getScheme() + "://" + uri.getAuthority() + " a FedGrid gateway?";
    }
    var retryAfter = headers.firstValue("Retry-After").filter(v -> v.matches("[0-9]{1,9}"));
    if (retryAfter.isPresent() && !details.containsKey("retryAfterSeconds")) {
      var withRetry = new LinkedHashMap<>(details);
      withRetry.put("retryAfterSeconds", Long.parseLong(retryAfter.get()));
      details = withRetry;
    }
    return switch (status) {
      case 400, 405, 413, 415 -> new InvalidRequestException(code, message, details);
      // 401 includes LOGIN_FAILED and LOGIN_RATE_LIMITED: both are failures to prove who one is
      case 401 -> new UnauthenticatedException(code, message, details);
      case 403 -> new PermissionDeniedException(code, message, details);
      case 404 -> new NotFoundException(code, message, details);
      case 409 -> new ConflictException(code, message, details);
      case 429, 502, 503, 504 -> new UnavailableException(code, message, details);
      default -> new InternalException(code, message, details);
    };
  }

  /** The failure behind an exception of the HTTP client. */
  static FedGridException fromTransport(Throwable t, URI base, Duration timeout) {
    Throwable e = unwrap(t);
    if (e instanceof FedGridException f) return f;
    if (e instanceof HttpConnectTimeoutException || e instanceof ConnectException || e instanceof UnresolvedAddressException
        || e.getCause() instanceof UnresolvedAddressException) {
      return new UnavailableException(
          "GATEWAY_UNREACHABLE",
          "cannot reach the gateway at " + base + ": is `fedgrid gateway start` running?",
          Map.of("gateway", base.toString()),
          e);
    }
    if (e instanceof HttpTimeoutException) {
      return new UnavailableException(
          "GATEWAY_TIMEOUT",
          "the gateway at " + base + " did not answer within " + timeout.toSeconds() + " s; it may be overloaded, or raise the client timeout",
          Map.of("gateway", base.toString()),
          e);
    }
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
      return new UnavailableException("INTERRUPTED", "interrupted while waiting for the gateway at " + base, Map.of(), e);
    }
    if (e instanceof SSLException) {
      String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      String message = reason.contains("Unsupported or unrecognized SSL message") || reason.contains("plaintext connection")
          ? "the gateway at " + base + " does not speak TLS: it was started with --insecure; use http://" + base.getRawAuthority()
              + " to talk to it in plaintext, or restart it with --tls-dir"
          : reason.contains("PKIX path") || reason.contains("unable to find valid certification path")
              ? "TLS with the gateway at " + base + " failed: its certificate does not come from a CA this client trusts (" + reason
                  + "); pass the project's CA certificate, ca.pem (FedGridClient.Builder.trustCa; in the CLI --ca or FEDGRID_CA)"
              : "TLS with the gateway at " + base + " failed: " + reason;
      return new UnavailableException("GATEWAY_TLS_FAILED", message, Map.of("gateway", base.toString()), e);
    }
    if (e instanceof IOException) {
      String hint = "http".equals(base.getScheme())
          ? "; check that the gateway is still running, and whether it serves HTTPS (the default unless started with --insecure): then use https://"
              + base.getRawAuthority()
          : "; retry, and check that the gateway is still running";
      return new UnavailableException(
          "GATEWAY_CONNECTION_LOST",
          "the connection to the gateway at " + base + " failed: " + e.getMessage() + hint,
          Map.of("gateway", base.toString()),
          e);
    }
    return new InternalException("CLIENT_ERROR", "the FedGrid client failed unexpectedly: " + e, Map.of(), e);
  }

  static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while ((e instanceof CompletionException || e instanceof ExecutionException || e instanceof java.io.UncheckedIOException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }
}
