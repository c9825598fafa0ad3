package dev.fedgrid.custodian;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.UnavailableException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import javax.net.ssl.SSLContext;

/**
 * Asks the gateway's control API, {@code GET /api/v1/jobs/{job}/assignments/{node}}, over HTTPS
 * trusting only the project CA (and checking that the gateway's certificate names the host
 * dialled), authenticated with a service token of a role that has {@code
 * can_manage_infrastructure}. The gateway answers {@code {"approved": true|false, ...}}; every other
 * answer is a refusal or, for transport failures and 5xx, {@link UnavailableException}. The token
 * is never logged. Thread-safe.
 */
public final class GatewayAssignments implements AssignmentCheck {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final URI gateway;
  private final String token;
  private final HttpClient http;
  private final Duration timeout;

  /**
   * @param gateway the control API's base URL, {@code https://host:7600}
   * @param token the custodian's service token ({@code fgt_…})
   * @param ssl trusts the project CA (the custodian's {@code TlsMaterial#sslContext()})
   * @throws InvalidRequestException with code {@code INVALID_GATEWAY_URL} for a URL that is not HTTPS
   */
  public GatewayAssignments(URI gateway, String token, SSLContext ssl, Duration timeout) {
    Objects.requireNonNull(gateway, "gateway");
    if (!"https".equals(gateway.getScheme()) || gateway.getHost() == null) {
      throw new InvalidRequestException("INVALID_GATEWAY_URL", "--gateway must be the gateway's HTTPS control API, such as https://gateway.example.org:7600, got " + gateway, Map.of());
    }
    if (token == null || token.isBlank()) {
      throw new InvalidRequestException("INVALID_GATEWAY_TOKEN", "the custodian needs a gateway token (--gateway-token-file or FEDGRID_TOKEN) of a user whose role has can_manage_infrastructure", Map.of());
    }
    this.gateway = URI.create(gateway.toString().replaceAll("/+$", ""));
    this.token = token.strip();
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.http = HttpClient.newBuilder().sslContext(ssl).connectTimeout(timeout).build();
  }

  @Override
  public Answer check(JobId job, String nodeName) {
    URI uri = URI.create(gateway + "/api/v1/jobs/" + job.value() + "/assignments/" + URLEncoder.encode(nodeName, StandardCharsets.UTF_8));
    HttpResponse<String> res;
    try {
      res = http.send(HttpRequest.newBuilder(uri).timeout(timeout).header("Authorization", "Bearer " + token).header("Accept", "application/json").GET().build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw unavailable("the gateway at " + gateway + " cannot be reached (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw unavailable("interrupted while asking the gateway");
    }
    int status = res.statusCode();
    if (status == 200) {
      try {
        JsonNode body = JSON.readTree(res.body());
        if (body.path("approved").asBoolean(false)) return Answer.yes();
        return Answer.no("the gateway says node " + nodeName + " holds no APPROVED agreement for job " + job);
      } catch (IOException e) {
        throw unavailable("the gateway's answer is not JSON");
      }
    }
    String code = code(res.body());
    return switch (status) {
      case 404 -> Answer.no("the gateway does not know job " + job + " (" + code + ")");
      case 401, 403 -> Answer.no("the gateway refused this custodian's token (" + code + "); give it a token of a role with can_manage_infrastructure");
      default -> throw unavailable("the gateway answered " + status + " " + code);
    };
  }

  private static String code(String body) {
    try {
      return JSON.readTree(body).path("code").asText("HTTP error");
    } catch (IOException e) {
      return "HTTP error";
    }
  }

  private static UnavailableException unavailable(String message) {
    return new UnavailableException("GATEWAY_UNAVAILABLE", message + "; the custodian releases nothing until it can check the assignment", Map.of());
  }
}
