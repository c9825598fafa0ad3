package dev.fedgrid.custodian;

import dev.fedgrid.api.ArtifactId;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.security.CertificateRole;
import dev.fedgrid.security.TlsMaterial;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.InstantSource;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLParameters;
import javax.security.auth.x500.X500Principal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A key custodian: holds one share of each confidential artifact's data key and releases it only
 * to a node that holds an approved assignment for the artifact's job. HTTPS only, with client
 * certificates required in the handshake and checked against the project CA (issuer, validity,
 * revocation list, client usage) by {@link TlsMaterial#trustManager()}; the caller's identity is the
 * certificate's {@code CN} and its role the {@code OU}.
 *
 * <table>
 *   <caption>Routes (JSON bodies; errors {@code {"code", "message", "details"}})</caption>
 *   <tr><th>route</th><th>caller</th><th>does</th></tr>
 *   <tr><td>{@code POST /api/v1/shares}</td><td>user certificate</td><td>deposits {@code {artifactId, index, threshold, share}}; 201</td></tr>
 *   <tr><td>{@code PUT /api/v1/shares/{artifactId}/job}</td><td>the depositor</td><td>binds the artifact to {@code {jobId}}, once</td></tr>
 *   <tr><td>{@code POST /api/v1/shares/{artifactId}/release}</td><td>node certificate</td><td>releases the share for {@code {jobId}}
 *       when the artifact is bound to that job and the gateway confirms the node (its certificate's CN) holds an APPROVED agreement for it</td></tr>
 *   <tr><td>{@code GET /api/v1/audit/verify}</td><td>any project certificate</td><td>checks the audit log's hash chain</td></tr>
 *   <tr><td>{@code GET /api/v1/health}</td><td>any project certificate</td><td>{@code {"status": "ok"}}</td></tr>
 * </table>
 *
 * <p>Every deposit, binding, release and refused release is written to the {@link CustodianAudit}
 * before the answer is sent; a failure to check with the gateway refuses (fails closed). Shares and
 * tokens are never logged.
 *
 * <p>Thread-safe; requests run on virtual threads. Runs until {@link #close()}.
 */
public final class CustodianServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CustodianServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BODY = 64 * 1024;
  private static final Pattern BIND = Pattern.compile("/api/v1/shares/([^/]+)/job");
  private static final Pattern RELEASE = Pattern.compile("/api/v1/shares/([^/]+)/release");

  private final HttpsServer server;
  private final ExecutorService threads;
  private final ShareStore shares;
  private final CustodianAudit audit;
  private final AssignmentCheck assignments;
  private final InstantSource clock;
  private final Path dataDir;

  private CustodianServer(HttpsServer server, ExecutorService threads, ShareStore shares, CustodianAudit audit, AssignmentCheck assignments, InstantSource clock, Path dataDir) {
    this.server = server;
    this.threads = threads;
    this.shares = shares;
    this.audit = audit;
    this.assignments = assignments;
    this.clock = clock;
    this.dataDir = dataDir;
  }

  /**
   * Opens the store and the audit log in {@code dataDir} (verifying the log) and starts serving.
   *
   * @param tls a custodian certificate ({@code fedgrid pki issue custodian NAME}), which may serve TLS
   * @param port the port, or 0 for any free one ({@link #port()})
   * @throws InvalidRequestException with code {@code INVALID_TLS_MATERIAL} for a certificate that cannot serve TLS
   * @throws InternalException with code {@code AUDIT_CHAIN_BROKEN} when the audit log does not verify
   */
  public static CustodianServer start(Path dataDir, TlsMaterial tls, AssignmentCheck assignments, String host, int port, InstantSource clock) throws IOException {
    Objects.requireNonNull(assignments, "assignments");
    tls.requireServerAuth();
    var store = new ShareStore(dataDir);
    var audit = new CustodianAudit(dataDir, clock);
    var ssl = tls.sslContext();
    HttpsServer server = HttpsServer.create(new InetSocketAddress(host, port), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(ssl) {
      @Override
      public void configure(HttpsParameters params) {
        SSLParameters p = ssl.getDefaultSSLParameters();
        p.setNeedClientAuth(true);
        params.setSSLParameters(p);
      }
    });
    ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    server.setExecutor(threads);
    var custodian = new CustodianServer(server, threads, store, audit, assignments, clock, dataDir);
    server.createContext("/", custodian::handle);
    server.start();
    LOG.info("key custodian listening on https://{}:{} as {}, data in {}", host, custodian.port(), tls, dataDir);
    return custodian;
  }

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The audit log's file. */
  public Path auditFile() {
    return dataDir.resolve(CustodianAudit.FILE);
  }

  @Override
  public void close() {
    server.stop(0);
    threads.close();
  }

  /** Who called: the client certificate's CN and OU. */
  private record Caller(String name, String role) {
    String actor() {
      return role + ":" + name;
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      int status;
      Object body;
      try {
        Caller caller = caller((HttpsExchange) ex);
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getPath();
        Matcher m;
        if (path.equals("/api/v1/shares") && method.equals("POST")) {
          body = deposit(caller, read(ex));
          status = 201;
        } else if ((m = BIND.matcher(path)).matches() && method.equals("PUT")) {
          body = bind(caller, ArtifactId.of(m.group(1)), read(ex));
          status = 200;
        } else if ((m = RELEASE.matcher(path)).matches() && method.equals("POST")) {
          body = release(caller, m.group(1), read(ex));
          status = 200;
        } else if (path.equals("/api/v1/audit/verify") && method.equals("GET")) {
          body = CustodianAudit.verify(auditFile());
          status = 200;
        } else if (path.equals("/api/v1/health") && method.equals("GET")) {
          body = Map.of("status", "ok");
          status = 200;
        } else {
          throw new NotFoundException("ROUTE_NOT_FOUND", "there is no " + method + " " + path + " on a key custodian", Map.of());
        }
      } catch (FedGridException e) {
        status = status(e);
        body = error(e.code(), e.getMessage(), e.details());
      } catch (RuntimeException e) {
        LOG.error("{} {} failed", ex.getRequestMethod(), ex.getRequestURI().getPath(), e);
        status = 500;
        body = error("INTERNAL", "the custodian failed unexpectedly; its log has the details", Map.of());
      }
      byte[] bytes = JSON.writeValueAsBytes(body);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(status, bytes.length);
      ex.getResponseBody().write(bytes);
    }
  }

  private Map<String, Object> deposit(Caller caller, JsonNode body) {
    requireRole(caller, CertificateRole.USER, "deposit a share");
    ArtifactId id = ArtifactId.of(text(body, "artifactId"));
    int threshold = body.path("threshold").asInt(-1);
    KeyShare share = new KeyShare(body.path("index").asInt(-1), base64(text(body, "share")));
    DataKeys.checkThreshold(threshold, Math.max(threshold, share.index()));
    shares.deposit(id, share, threshold, caller.name(), clock.instant());
    share.destroy();
    audit.append(caller.actor(), "share.deposited", id.value(), null, "ok", "");
    LOG.info("share of artifact {} deposited by {}", id, caller.actor());
    return Map.of("artifactId", id.value(), "index", share.index(), "threshold", threshold);
  }

  private Map<String, Object> bind(Caller caller, ArtifactId id, JsonNode body) {
    requireRole(caller, CertificateRole.USER, "bind an artifact to a job");
    JobId job = JobId.of(text(body, "jobId"));
    ShareStore.Entry entry = shares.get(id).orElseThrow(() -> notFound(id));
    shares.bind(entry, job, caller.name());
    audit.append(caller.actor(), "share.bound", id.value(), job.value(), "ok", "");
    LOG.info("artifact {} bound to job {} by {}", id, job, caller.actor());
    return Map.of("artifactId", id.value(), "jobId", job.value());
  }

  /** Every refusal past the certificate check is audited with its code and reason. */
  private Map<String, Object> release(Caller caller, String rawId, JsonNode body) {
    String jobText = body.path("jobId").asText("");
    try {
      requireRole(caller, CertificateRole.NODE, "receive a share");
      ArtifactId id = ArtifactId.of(rawId);
      JobId job = JobId.of(jobText);
      ShareStore.Entry entry = shares.get(id).orElseThrow(() -> notFound(id));
      JobId bound = entry.job().orElseThrow(() -> new ConflictException(
          "ARTIFACT_NOT_BOUND", "artifact " + id + " is not bound to a job yet; its requestor binds it after submitting the job", Map.of("artifactId", id.value())));
      if (!bound.equals(job)) {
        throw new PermissionDeniedException("WRONG_JOB", "artifact " + id + " belongs to another job than " + job, Map.of("artifactId", id.value()));
      }
      AssignmentCheck.Answer answer = assignments.check(job, caller.name());
      if (!answer.approved()) {
        throw new PermissionDeniedException("NO_APPROVED_ASSIGNMENT", "node " + caller.name() + " may not have a share of artifact " + id + ": " + answer.reason(),
            Map.of("artifactId", id.value(), "jobId", job.value()));
      }
      audit.append(caller.actor(), "share.released", id.value(), job.value(), "ok", "");
      LOG.info("share of artifact {} released to {} for job {}", id, caller.actor(), job);
      var out = new LinkedHashMap<String, Object>();
      out.put("artifactId", id.value());
      out.put("index", entry.index());
      out.put("threshold", entry.threshold());
      out.put("share", entry.share());
      return out;
    } catch (FedGridException e) {
      audit.append(caller.actor(), "share.refused", clip(rawId), clip(jobText), e.code(), e.getMessage());
      LOG.warn("share of artifact {} refused to {}: {}", clip(rawId), caller.actor(), e.getMessage());
      throw e;
    }
  }

  private static Caller caller(HttpsExchange ex) {
    try {
      Certificate[] chain = ex.getSSLSession().getPeerCertificates();
      if (chain.length > 0 && chain[0] instanceof X509Certificate leaf) {
        String cn = "";
        String ou = "";
        for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName(X500Principal.RFC2253)).getRdns()) {
          if (rdn.getType().equalsIgnoreCase("CN")) cn = String.valueOf(rdn.getValue());
          else if (rdn.getType().equalsIgnoreCase("OU")) ou = String.valueOf(rdn.getValue());
        }
        if (!cn.isEmpty()) return new Caller(cn, ou);
      }
    } catch (SSLPeerUnverifiedException | InvalidNameException e) {
      // refused below
    }
    throw new UnauthenticatedException("CLIENT_CERTIFICATE_REQUIRED", "a key custodian answers only callers with a named certificate of the project CA", Map.of());
  }

  private static void requireRole(Caller caller, CertificateRole role, String action) {
    if (!role.label().equals(caller.role())) {
      throw new PermissionDeniedException(
          "WRONG_CERTIFICATE_ROLE", "only a " + role.label() + " certificate may " + action + "; " + caller.actor() + " presented a " + caller.role() + " certificate",
          Map.of("role", caller.role()));
    }
  }

  private static JsonNode read(HttpExchange ex) throws IOException {
    try (InputStream in = ex.getRequestBody()) {
      byte[] bytes = in.readNBytes(MAX_BODY + 1);
      if (bytes.length > MAX_BODY) throw new InvalidRequestException("BODY_TOO_LARGE", "a custodian request body is at most " + MAX_BODY + " bytes", Map.of());
      if (bytes.length == 0) throw new InvalidRequestException("INVALID_BODY", "this call needs a JSON body", Map.of());
      try {
        JsonNode node = JSON.readTree(bytes);
        if (node == null || !node.isObject()) throw new InvalidRequestException("INVALID_BODY", "the body must be a JSON object", Map.of());
        return node;
      } catch (IOException e) {
        throw new InvalidRequestException("INVALID_BODY", "the body is not JSON", Map.of());
      }
    }
  }

  private static String text(JsonNode body, String field) {
    JsonNode v = body.get(field);
    if (v == null || !v.isTextual()) throw new InvalidRequestException("INVALID_BODY", "the body needs the string field '" + field + "'", Map.of("field", field));
    return v.asText();
  }

  private static byte[] base64(String s) {
    try {
      return Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw new InvalidRequestException("INVALID_SHARE", "the share is not base64", Map.of());
    }
  }

  private static NotFoundException notFound(ArtifactId id) {
    return new NotFoundException("ARTIFACT_NOT_FOUND", "this custodian holds no share of artifact " + id, Map.of("artifactId", id.value()));
  }

  private static String clip(String s) {
    String clean = s == null ? "" : s.replaceAll("\\p{Cntrl}", "?");
    return clean.length() > 64 ? clean.substring(0, 64) : clean;
  }

  private static int status(FedGridException e) {
    return switch (e) {
      case InvalidRequestException i -> 400;
      case UnauthenticatedException u -> 401;
      case PermissionDeniedException p -> 403;
      case NotFoundException n -> 404;
      case ConflictException c -> 409;
      case UnavailableException u -> 503;
      case InternalException i -> 500;
    };
  }

  private static Map<String, Object> error(String code, String message, Map<String, Object> details) {
    var m = new LinkedHashMap<String, Object>();
    m.put("code", code);
    m.put("message", message);
    m.put("details", details);
    return m;
  }
}
