package dev.fedgrid.custodian;

import dev.fedgrid.api.model.SealedArtifact;
import dev.fedgrid.api.ArtifactId;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.UnavailableException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.net.ssl.SSLContext;

/**
 * One key custodian's HTTPS API, called with this process's client certificate (a user's to
 * deposit and bind, a node's to receive a share): see {@link CustodianServer} for the routes. A
 * refusal comes back as the matching {@link FedGridException} with the custodian's code and
 * message; a custodian that cannot be reached as {@link UnavailableException} with code {@code
 * CUSTODIAN_UNAVAILABLE}. Thread-safe.
 */
public final class CustodianClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI base;
  private final HttpClient http;
  private final Duration timeout;

  /**
   * @param base the custodian's {@code https://host:port}
   * @param ssl presents this process's certificate and trusts the project CA ({@code TlsMaterial#sslContext()})
   */
  public CustodianClient(String base, SSLContext ssl, Duration timeout) {
    this.base = SealedArtifact.checkUrl(base);
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().sslContext(ssl).connectTimeout(timeout).build();
  }

  /** The custodian's base URL. */
  public URI base() {
    return base;
  }

  /** Deposits {@code share} of artifact {@code id}'s key. */
  public void deposit(ArtifactId id, KeyShare share, int threshold) {
    var body = new LinkedHashMap<String, Object>();
    body.put("artifactId", id.value());
    body.put("index", share.index());
    body.put("threshold", threshold);
    body.put("share", Base64.getEncoder().encodeToString(share.value()));
    call("POST", "/api/v1/shares", body);
  }

  /** Binds artifact {@code id} to the job it was submitted with. */
  public void bind(ArtifactId id, JobId job) {
    call("PUT", "/api/v1/shares/" + id.value() + "/job", Map.of("jobId", job.value()));
  }

  /** Asks for this custodian's share of artifact {@code id}'s key, for {@code job}. */
  public KeyShare release(ArtifactId id, JobId job) {
    JsonNode res = call("POST", "/api/v1/shares/" + id.value() + "/release", Map.of("jobId", job.value()));
    try {
      return new KeyShare(res.path("index").asInt(-1), Base64.getDecoder().decode(res.path("share").asText("")));
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException("INVALID_SHARE", "custodian " + base + " sent a share that is not base64", Map.of());
    }
  }

  private JsonNode call(String method, String path, Object body) {
    HttpResponse<String> res;
    try {
      var req = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout).header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build();
      res = http.send(req, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UnavailableException("CUSTODIAN_UNAVAILABLE", "custodian " + base + " cannot be reached (" + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", Map.of("custodian", base.toString()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnavailableException("CUSTODIAN_UNAVAILABLE", "interrupted while calling custodian " + base, Map.of("custodian", base.toString()));
    }
    JsonNode json;
    try {
      json = JSON.readTree(res.body());
    } catch (IOException e) {
      json = JSON.createObjectNode();
    }
    int status = res.statusCode();
    if (status < 300) return json;
    String code = json.path("code").asText("HTTP_" + status);
    String message = "custodian " + base + ": " + json.path("message").asText("answered " + status);
    Map<String, Object> details = Map.of("custodian", base.toString());
    throw switch (status) {
      case 400 -> new InvalidRequestException(code, message, details);
      case 401 -> new UnauthenticatedException(code, message, details);
      case 403 -> new PermissionDeniedException(code, message, details);
      case 404 -> new NotFoundException(code, message, details);
      case 409 -> new ConflictException(code, message, details);
      case 503 -> new UnavailableException(code, message, details);
      default -> new InternalException(code, message, details);
    };
  }
}
