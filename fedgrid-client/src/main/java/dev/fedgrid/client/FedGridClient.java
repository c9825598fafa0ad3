package dev.fedgrid.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.JoinTokenId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.TokenId;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.api.dataset.DatasetGrant;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetQuery;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.governance.AuditEvent;
import dev.fedgrid.api.governance.AuditVerification;
import dev.fedgrid.api.governance.BudgetRequest;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.api.governance.PrivacyBudget;
import dev.fedgrid.api.governance.ReleaseRequest;
import dev.fedgrid.api.governance.ReleaseReview;
import dev.fedgrid.api.governance.RequestId;
import dev.fedgrid.api.governance.RequestState;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.ContributionReport;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.node.IssuedJoinToken;
import dev.fedgrid.api.node.JoinToken;
import dev.fedgrid.api.node.NodeInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;

/**
 * The Java SDK of FedGrid's control API: submit jobs, follow them live, fetch their models, browse
 * nodes and datasets, and manage users, roles and API tokens.
 *
 * <p>Every call but {@link #health()} and {@link #login} needs a token: a personal API token given
 * to {@link Builder#token(String)} (or {@code FEDGRID_TOKEN} in the CLI), or the session token of a
 * login. The client sends it as {@code Authorization: Bearer} on every call, and never logs or
 * prints it ({@link #toString()} leaves it out).
 *
 * <pre>{@code
 * try (var client = FedGridClient.builder().baseUri("https://127.0.0.1:7600").trustCa(Path.of("ca.pem")).token(token).build()) {
 *   Job job = client.submitJob(spec);
 *   client.watch(job.id(), 0, e -> System.out.println(e.type() + ": " + e.message()));
 *   client.downloadModel(job.id(), Path.of("out"));
 * }
 * try (var anonymous = FedGridClient.builder().build();
 *     var ana = anonymous.login("ana", password)) {
 *   System.out.println(ana.me().role());
 * }
 * }</pre>
 *
 * <p>Every method throws a {@link FedGridException}: the subclass of the gateway's answer (for
 * example {@link dev.fedgrid.api.NotFoundException} with code {@code JOB_NOT_FOUND}) carrying the
 * gateway's code, message and details, or an {@link UnavailableException} with code {@code
 * GATEWAY_UNREACHABLE} when the gateway cannot be reached. A missing, unknown, expired or revoked
 * token, a failed login and a login refused for too many failures are {@link
 * dev.fedgrid.api.UnauthenticatedException}s (codes {@code UNAUTHENTICATED}, {@code TOKEN_INVALID},
 * {@code TOKEN_EXPIRED}, {@code TOKEN_REVOKED}, {@code USER_DISABLED}, {@code LOGIN_FAILED}, {@code
 * LOGIN_RATE_LIMITED} with {@code details.retryAfterSeconds}); a call the caller's role does not
 * allow is a {@link dev.fedgrid.api.PermissionDeniedException} ({@code PERMISSION_DENIED}). The async variants complete
 * exceptionally with the same exceptions.
 *
 * <p>Over {@code https://} (what {@code fedgrid gateway start} serves by default) the client checks
 * the gateway's certificate against the project CA given to {@link Builder#trustCa(Path)} (else
 * against the JDK's default trust store) and that it names the URL's host; a refusal is an {@link
 * UnavailableException} with code {@code GATEWAY_TLS_FAILED} naming the certificate.
 *
 * <p>Thread-safe: one client may serve many threads. Close it to release its connections.
 */
public final class FedGridClient implements AutoCloseable {
  /** Where {@code fedgrid gateway start} listens by default. */
  public static final URI DEFAULT_BASE_URI = URI.create("https://127.0.0.1:7600");
  /** The default per-request timeout. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  /** How often {@link #watch} reconnects in a row by default before giving up. */
  public static final int DEFAULT_WATCH_RETRIES = 5;

  private static final String API = "/api/v1";
  private static final String JSON = "application/json";

  private final URI base;
  private final Duration timeout;
  private final int watchRetries;
  private final String token;
  private final LoginResult session;
  private final SSLContext ssl;
  private final HttpClient http;

  private FedGridClient(Builder b, LoginResult session) {
    this.base = b.baseUri;
    this.timeout = b.timeout;
    this.watchRetries = b.watchRetries;
    this.token = b.token;
    this.session = session;
    this.ssl = b.ssl;
    HttpClient.Builder http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(timeout.compareTo(Duration.ofSeconds(10)) < 0 ? timeout : Duration.ofSeconds(10))
        .followRedirects(HttpClient.Redirect.NORMAL);
    if (ssl != null) http.sslContext(ssl);
    this.http = http.build();
  }

  /** A builder with the defaults: {@link #DEFAULT_BASE_URI}, {@link #DEFAULT_TIMEOUT}. */
  public static Builder builder() {
    return new Builder();
  }

  /** The gateway this client talks to. */
  public URI baseUri() {
    return base;
  }

  /** Whether this client sends a token. */
  public boolean authenticated() {
    return token != null;
  }

  /** The login this client's token came from, when {@link #login} made it. */
  public Optional<LoginResult> session() {
    return Optional.ofNullable(session);
  }

  /** The gateway and whether a token is sent; never the token. */
  @Override
  public String toString() {
    return "FedGridClient[" + base + (token == null ? ", no token" : session != null ? ", session of " + session.user().name() : ", with token") + "]";
  }

  // ---- identity ----

  /**
   * Logs in with a user name and password and returns a new client with the same options carrying
   * the session token (see {@link #session()} for its expiry and the user). This client is
   * unchanged; close both when done.
   *
   * @throws dev.fedgrid.api.UnauthenticatedException {@code LOGIN_FAILED} for a wrong user name or
   *     password (the gateway does not say which), {@code LOGIN_RATE_LIMITED} after too many
   *     failures, with {@code details.retryAfterSeconds}
   */
  public FedGridClient login(String user, String password) {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
    byte[] body = toJson(Map.of("user", user, "password", password));
    LoginResult result = send(request("/login").POST(BodyPublishers.ofByteArray(body)).header("Content-Type", JSON), type(LoginResult.class));
    return new FedGridClient(copy().token(result.token()), result);
  }

  /** The caller: the user the token belongs to, with their role's permissions. */
  public User me() {
    return send(request("/me").GET(), type(User.class));
  }

  /** Every user (needs {@code can_manage_users}). */
  public List<User> users() {
    return items(request("/users").GET(), User.class);
  }

  public User user(String name) {
    return send(request("/users/" + segment(name)).GET(), type(User.class));
  }

  /**
   * Creates a user (needs {@code can_manage_users}).
   *
   * @param password the new user's password, or {@code null} to have the gateway generate one,
   *     returned once in {@link NewUser#password()}
   */
  public NewUser createUser(String name, String role, String password) {
    var body = new LinkedHashMap<String, Object>();
    body.put("name", Objects.requireNonNull(name, "name"));
    body.put("role", Objects.requireNonNull(role, "role"));
    if (password != null) body.put("password", password);
    return send(request("/users").POST(BodyPublishers.ofByteArray(toJson(body))).header("Content-Type", JSON), type(NewUser.class));
  }

  /** Changes a user's role, disabled flag or password; fields of {@code update} left null stay. */
  public User updateUser(String name, UserUpdate update) {
    Objects.requireNonNull(update, "update");
    return send(request("/users/" + segment(name)).method("PATCH", BodyPublishers.ofByteArray(toJson(update))).header("Content-Type", JSON), type(User.class));
  }

  /** Every role, built-in and custom. */
  public List<Role> roles() {
    return items(request("/roles").GET(), Role.class);
  }

  /** Creates a custom role (needs {@code can_edit_roles}). */
  public Role createRole(String name, String description, Set<Permission> permissions) {
    var body = new LinkedHashMap<String, Object>();
    body.put("name", Objects.requireNonNull(name, "name"));
    body.put("description", description == null ? "" : description);
    body.put("permissions", sorted(permissions));
    return send(request("/roles").POST(BodyPublishers.ofByteArray(toJson(body))).header("Content-Type", JSON), type(Role.class));
  }

  /** Replaces a custom role's description and permissions (needs {@code can_edit_roles}). */
  public Role updateRole(String name, String description, Set<Permission> permissions) {
    var body = new LinkedHashMap<String, Object>();
    body.put("description", description == null ? "" : description);
    body.put("permissions", sorted(permissions));
    return send(request("/roles/" + segment(name)).PUT(BodyPublishers.ofByteArray(toJson(body))).header("Content-Type", JSON), type(Role.class));
  }

  /** Deletes a custom role no user has (needs {@code can_edit_roles}). */
  public void deleteRole(String name) {
    send(request("/roles/" + segment(name)).DELETE(), null);
  }

  /** The caller's own API tokens, login sessions included; never their secrets. */
  public List<ApiToken> tokens() {
    return items(request("/tokens").GET(), ApiToken.class);
  }

  /**
   * Issues a personal API token for the caller.
   *
   * @param expiresInDays days until it expires, in [1, 365], or 0 for the gateway's default (90)
   * @return the token's secret, shown this once, and its description
   */
  public IssuedToken createToken(String name, int expiresInDays) {
    var body = new LinkedHashMap<String, Object>();
    body.put("name", Objects.requireNonNull(name, "name"));
    if (expiresInDays != 0) body.put("expiresInDays", expiresInDays);
    return send(request("/tokens").POST(BodyPublishers.ofByteArray(toJson(body))).header("Content-Type", JSON), type(IssuedToken.class));
  }

  /** Revokes one of the caller's tokens; it stops working at once. */
  public void revokeToken(TokenId id) {
    send(request("/tokens/" + Objects.requireNonNull(id, "id")).DELETE(), null);
  }

  // ---- jobs ----

  /**
   * Submits a job; the gateway validates it against the named datasets and queues it.
   *
   * @return the queued job
   */
  public Job submitJob(JobSpec spec) {
    return join(submitJobAsync(spec));
  }

  /** As {@link #submitJob}, without blocking. */
  public CompletableFuture<Job> submitJobAsync(JobSpec spec) {
    Objects.requireNonNull(spec, "spec");
    return sendAsync(request("/jobs").POST(BodyPublishers.ofByteArray(toJson(spec))).header("Content-Type", JSON), type(Job.class));
  }

  public Job job(JobId id) {
    return join(jobAsync(id));
  }

  public CompletableFuture<Job> jobAsync(JobId id) {
    return sendAsync(request("/jobs/" + id).GET(), type(Job.class));
  }

  /**
   * One page of jobs, newest first.
   *
   * @param states only jobs in these states; all when empty or {@code null}
   * @param cursor the previous page's {@link Page#nextCursor()}, or {@code null} for the first page
   * @param limit page size in [1, 500], or 0 for the gateway's default (50)
   */
  public Page<Job> jobs(List<JobState> states, String cursor, int limit) {
    return join(jobsAsync(states, cursor, limit));
  }

  public CompletableFuture<Page<Job>> jobsAsync(List<JobState> states, String cursor, int limit) {
    var query = new ArrayList<String>();
    if (states != null && !states.isEmpty()) {
      query.add("state=" + states.stream().map(JobState::wireName).collect(Collectors.joining(",")));
    }
    if (limit != 0) query.add("limit=" + limit);
    if (cursor != null && !cursor.isBlank()) query.add("cursor=" + encode(cursor));
    String path = "/jobs" + (query.isEmpty() ? "" : "?" + String.join("&", query));
    JavaType pageType = ClientJson.MAPPER.getTypeFactory().constructParametricType(Page.class, Job.class);
    return sendAsync(request(path).GET(), pageType);
  }

  /** Cancels a queued or running job; completed rounds and their model stay. */
  public Job cancelJob(JobId id) {
    return send(request("/jobs/" + id + "/cancel").POST(BodyPublishers.noBody()), type(Job.class));
  }

  /** Deletes a finished job with its rounds, checkpoints and events. */
  public void deleteJob(JobId id) {
    send(request("/jobs/" + id).DELETE(), null);
  }

  /** A job's completed rounds, in round order. */
  public List<RoundSummary> rounds(JobId id) {
    return items(request("/jobs/" + id + "/rounds").GET(), RoundSummary.class);
  }

  /** Each node's examples × epochs over a job's completed rounds and its share of the total. */
  public ContributionReport contributions(JobId id) {
    return send(request("/jobs/" + id + "/contributions").GET(), type(ContributionReport.class));
  }

  // ---- nodes and datasets ----

  public List<NodeInfo> nodes() {
    return items(request("/nodes").GET(), NodeInfo.class);
  }

  public NodeInfo node(NodeId id) {
    return send(request("/nodes/" + id).GET(), type(NodeInfo.class));
  }

  /**
   * Issues a single-use join token with which one new node enrols (needs {@code
   * can_manage_infrastructure}). The secret is in the answer only: the gateway keeps its hash.
   *
   * @param nodeName the only node name it enrols, or {@code null} for any
   * @param expiresInHours its lifetime, 1 to 720 hours, or 0 for the gateway's default (24)
   */
  public IssuedJoinToken createJoinToken(String nodeName, int expiresInHours) {
    var body = new LinkedHashMap<String, Object>();
    if (nodeName != null) body.put("name", nodeName);
    if (expiresInHours != 0) body.put("expiresInHours", expiresInHours);
    return send(
        request("/nodes/join-tokens").POST(BodyPublishers.ofByteArray(toJson(body))).header("Content-Type", JSON),
        type(IssuedJoinToken.class));
  }

  /** Every join token, newest first, with its state; never a secret (needs {@code can_manage_infrastructure}). */
  public List<JoinToken> joinTokens() {
    return items(request("/nodes/join-tokens").GET(), JoinToken.class);
  }

  /** Revokes an unused join token; revoking a revoked one changes nothing. */
  public JoinToken revokeJoinToken(JoinTokenId id) {
    return send(request("/nodes/join-tokens/" + id).DELETE(), type(JoinToken.class));
  }

  /**
   * The dataset catalogue.
   *
   * @param name only datasets whose name contains this (ignoring case), or {@code null} for all
   * @param tag only datasets with this tag, or {@code null} for all
   */
  public List<DatasetInfo> datasets(String name, String tag) {
    return datasets(DatasetQuery.all().withName(name).withTag(tag));
  }

  /** The catalogue's datasets matching {@code query}: metadata only, never rows. */
  public List<DatasetInfo> datasets(DatasetQuery query) {
    var q = new ArrayList<String>();
    if (query.text() != null) q.add("q=" + encode(query.text()));
    if (query.name() != null) q.add("name=" + encode(query.name()));
    if (query.tag() != null) q.add("tag=" + encode(query.tag()));
    if (query.column() != null) q.add("column=" + encode(query.column()));
    if (query.visibility() != null) q.add("visibility=" + (query.visibility() == Visibility.PUBLIC ? "public" : "private"));
    return items(request("/datasets" + (q.isEmpty() ? "" : "?" + String.join("&", q))).GET(), DatasetInfo.class);
  }

  /**
   * Sets a dataset's visibility (needs {@code can_upload_data}); it overrides what the node
   * declared.
   */
  public DatasetInfo setDatasetVisibility(DatasetId id, Visibility visibility) {
    Objects.requireNonNull(visibility, "visibility");
    byte[] body = toJson(Map.of("visibility", visibility));
    return send(request("/datasets/" + id).method("PATCH", BodyPublishers.ofByteArray(body)).header("Content-Type", JSON), type(DatasetInfo.class));
  }

  /** The grants on a dataset: all of them for those who manage grants, else the caller's own. */
  public List<DatasetGrant> datasetGrants(DatasetId id) {
    return items(request("/datasets/" + id + "/grants").GET(), DatasetGrant.class);
  }

  /**
   * Gives {@code user} exactly these rights on a dataset, replacing what they held. Adding {@code
   * process} needs {@code can_upload_data}, adding {@code downloadResults} {@code
   * can_triage_requests}; nobody grants to themselves ({@code SELF_GRANT_DENIED}).
   *
   * @throws dev.fedgrid.api.NotFoundException {@code USER_NOT_FOUND} for an unknown user
   */
  public DatasetGrant grantDataset(DatasetId id, String user, boolean process, boolean downloadResults) {
    byte[] body = toJson(Map.of("process", process, "downloadResults", downloadResults));
    return send(request("/datasets/" + id + "/grants/" + segment(user)).PUT(BodyPublishers.ofByteArray(body)).header("Content-Type", JSON), type(DatasetGrant.class));
  }

  /** Takes every right on a dataset away from {@code user}. */
  public void revokeDatasetGrant(DatasetId id, String user) {
    send(request("/datasets/" + id + "/grants/" + segment(user)).DELETE(), null);
  }

  public DatasetInfo dataset(DatasetId id) {
    return send(request("/datasets/" + id).GET(), type(DatasetInfo.class));
  }

  // ---- privacy budgets and requests ----

  /**
   * Sets a user's privacy budget on a dataset (needs {@code can_manage_privacy_budget}).
   *
   * @param epsilon the total epsilon the user may spend on the dataset, at least 0
   * @param delta the largest delta a job of theirs may run at, in [0, 1)
   */
  public PrivacyBudget setBudget(String user, DatasetId dataset, double epsilon, double delta) {
    var body = new LinkedHashMap<String, Object>();
    body.put("epsilon", epsilon);
    body.put("delta", delta);
    return send(
        request("/budgets/" + segment(user) + "/" + Objects.requireNonNull(dataset, "dataset")).PUT(BodyPublishers.ofByteArray(toJson(body))).header("Content-Type", JSON),
        type(PrivacyBudget.class));
  }

  /**
   * Budgets with what is spent, reserved and remaining: the caller's own, or anyone's for an officer.
   *
   * @param user only this user's, or {@code null}
   * @param dataset only on this dataset, or {@code null}
   */
  public List<PrivacyBudget> budgets(String user, DatasetId dataset) {
    var query = new ArrayList<String>();
    if (user != null && !user.isBlank()) query.add("user=" + encode(user));
    if (dataset != null) query.add("dataset=" + dataset);
    return items(request("/budgets" + (query.isEmpty() ? "" : "?" + String.join("&", query))).GET(), PrivacyBudget.class);
  }

  /** Asks for {@code epsilon} more on a dataset, with a reason (needs {@code can_make_data_requests}). */
  public BudgetRequest requestBudget(DatasetId dataset, double epsilon, String reason) {
    var body = new LinkedHashMap<String, Object>();
    body.put("dataset", Objects.requireNonNull(dataset, "dataset").value());
    body.put("epsilon", epsilon);
    body.put("reason", reason);
    return send(request("/budget-requests").POST(BodyPublishers.ofByteArray(toJson(body))).header("Content-Type", JSON), type(BudgetRequest.class));
  }

  /** Budget requests, newest first: the caller's own, or everyone's for an officer; {@code state} may be null. */
  public List<BudgetRequest> budgetRequests(RequestState state) {
    return items(request("/budget-requests" + (state == null ? "" : "?state=" + state.wireName())).GET(), BudgetRequest.class);
  }

  public BudgetRequest budgetRequest(RequestId id) {
    return send(request("/budget-requests/" + id).GET(), type(BudgetRequest.class));
  }

  /** Approves a budget request, raising the budget by its epsilon; {@code comment} may be null. */
  public BudgetRequest approveBudgetRequest(RequestId id, String comment) {
    return send(decision("/budget-requests/" + id + "/approve", comment), type(BudgetRequest.class));
  }

  /** Denies a budget request; the comment says why. */
  public BudgetRequest denyBudgetRequest(RequestId id, String comment) {
    return send(decision("/budget-requests/" + id + "/deny", comment), type(BudgetRequest.class));
  }

  /** Asks for the release of a finished job's held results (the job's owner only). */
  public ReleaseRequest requestRelease(JobId job, String reason) {
    var body = new LinkedHashMap<String, Object>();
    body.put("reason", reason);
    return send(request("/jobs/" + Objects.requireNonNull(job, "job") + "/release-requests").POST(BodyPublishers.ofByteArray(toJson(body))).header("Content-Type", JSON),
        type(ReleaseRequest.class));
  }

  /** Release requests, newest first: the caller's own, or everyone's with {@code can_triage_requests}; {@code state} may be null. */
  public List<ReleaseRequest> releaseRequests(RequestState state) {
    return items(request("/release-requests" + (state == null ? "" : "?state=" + state.wireName())).GET(), ReleaseRequest.class);
  }

  /** A release request with everything needed to decide it. */
  public ReleaseReview releaseReview(RequestId id) {
    return send(request("/release-requests/" + id).GET(), type(ReleaseReview.class));
  }

  /** Approves a release request (needs {@code can_triage_requests}); {@code comment} may be null. */
  public ReleaseRequest approveRelease(RequestId id, String comment) {
    return send(decision("/release-requests/" + id + "/approve", comment), type(ReleaseRequest.class));
  }

  /** Denies a release request (needs {@code can_triage_requests}); the comment says why. */
  public ReleaseRequest denyRelease(RequestId id, String comment) {
    return send(decision("/release-requests/" + id + "/deny", comment), type(ReleaseRequest.class));
  }

  private HttpRequest.Builder decision(String path, String comment) {
    var body = new LinkedHashMap<String, Object>();
    if (comment != null) body.put("comment", comment);
    return request(path).POST(BodyPublishers.ofByteArray(toJson(body))).header("Content-Type", JSON);
  }

  // ---- models ----

  /** The spec, input shape, scaling and parameter layout of a job's latest model. */
  public ModelInfo modelSpec(JobId id) {
    return send(request("/jobs/" + id + "/model/spec").GET(), type(ModelInfo.class));
  }

  /**
   * Downloads a job's latest model into {@code dir} (created when missing) as {@code
   * model.safetensors} and {@code model.json} (the {@link ModelInfo}), replacing earlier files of
   * those names. Both describe the same round: the description is taken from the weights file's
   * own metadata.
   */
  public ModelDownload downloadModel(JobId id, Path dir) {
    Objects.requireNonNull(dir, "dir");
    Path weights = dir.resolve("model.safetensors");
    Path description = dir.resolve("model.json");
    var temporary = new ArrayList<Path>();
    try {
      HttpResponse<InputStream> res = http.send(request("/jobs/" + id + "/model").GET().build(), BodyHandlers.ofInputStream());
      Path partial;
      try (InputStream body = res.body()) {
        if (res.statusCode() != 200) throw Errors.fromResponse(res.statusCode(), body.readAllBytes(), "GET", res.uri(), res.headers());
        Files.createDirectories(dir);
        partial = Files.createTempFile(dir, "model", ".part");
        temporary.add(partial);
        Files.copy(body, partial, StandardCopyOption.REPLACE_EXISTING);
      }
      ModelInfo info = describe(id, partial);
      Path json = Files.createTempFile(dir, "model", ".part");
      temporary.add(json);
      Files.write(json, ClientJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(info));
      Files.move(partial, weights, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      Files.move(json, description, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      temporary.clear();
      return new ModelDownload(id, info.round(), weights, description, Files.size(weights));
    } catch (FileSystemException e) {
      throw new InvalidRequestException(
          "CANNOT_WRITE_MODEL", "cannot write the model into " + dir + ": " + e.getMessage(), Map.of("dir", dir.toString()), e);
    } catch (IOException | InterruptedException e) {
      throw Errors.fromTransport(e, base, timeout);
    } finally {
      for (Path p : temporary) {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // best effort
        }
      }
    }
  }

  /** The description of a downloaded model, from its own metadata (or asked for, from an older gateway). */
  private ModelInfo describe(JobId id, Path file) throws IOException {
    Map<String, String> meta = SafetensorsHeader.metadata(file);
    if (!meta.containsKey("spec") || !meta.containsKey("inputShape") || !meta.containsKey("round")) return modelSpec(id);
    try {
      ModelSpec spec = ClientJson.MAPPER.readValue(meta.get("spec"), ModelSpec.class);
      List<Integer> inputShape = ClientJson.MAPPER.readValue(meta.get("inputShape"), new TypeReference<List<Integer>>() {});
      FeatureScaling scaling = meta.containsKey("scaling") ? ClientJson.MAPPER.readValue(meta.get("scaling"), FeatureScaling.class) : null;
      return new ModelInfo(id, Integer.parseInt(meta.get("round")), spec, inputShape, scaling, spec.parameterLayout(inputShape));
    } catch (IOException | RuntimeException e) {
      throw new InvalidRequestException(
          "INVALID_MODEL_FILE", "the downloaded model's metadata cannot be read (" + e.getMessage() + "); is the gateway a compatible FedGrid version?");
    }
  }

  // ---- reports ----

  /** The names of a job report's charts, for {@link #jobReportChart}. */
  public static final List<String> REPORT_CHARTS = List.of("metrics", "epsilon", "contribution");

  /**
   * A job's report: one self-contained HTML page (inline CSS and SVG charts, no scripts, no
   * external resources) with its configuration, state and timings, metrics per round, ε over
   * rounds, each node's contribution, cost and audit trail. While the job's results are held, only
   * loss and accuracy are in it.
   */
  public String jobReport(JobId id) {
    return new String(bytes("/jobs/" + Objects.requireNonNull(id, "id") + "/report", "text/html"), StandardCharsets.UTF_8);
  }

  /**
   * One chart of a job's report as a PNG image.
   *
   * @param name one of {@link #REPORT_CHARTS}
   */
  public byte[] jobReportChart(JobId id, String name) {
    if (!REPORT_CHARTS.contains(name)) {
      throw new InvalidRequestException("INVALID_CHART", "a job report has no chart '" + name + "'; use one of " + String.join(", ", REPORT_CHARTS));
    }
    return bytes("/jobs/" + Objects.requireNonNull(id, "id") + "/report/charts/" + name + ".png", "image/png");
  }

  /** The body of a GET that answers something other than JSON. */
  private byte[] bytes(String path, String accept) {
    HttpRequest request = request(path).setHeader("Accept", accept).GET().build();
    try {
      HttpResponse<byte[]> res = http.send(request, BodyHandlers.ofByteArray());
      if (res.statusCode() / 100 != 2) throw Errors.fromResponse(res.statusCode(), res.body(), "GET", res.uri(), res.headers());
      return res.body();
    } catch (IOException | InterruptedException e) {
      throw Errors.fromTransport(e, base, timeout);
    }
  }

  // ---- audit ----

  /**
   * One page of audit events matching {@code filter}, oldest first (needs {@code
   * can_triage_requests} or {@code can_manage_users}). Continue with {@code
   * filter.withAfter(page.nextAfter())}.
   */
  public AuditPage auditEvents(AuditFilter filter) {
    Objects.requireNonNull(filter, "filter");
    return send(request("/audit/events" + filter.query(filter.after(), true)).GET(), type(AuditPage.class));
  }

  /**
   * Follows the audit ledger live, calling {@code consumer} for each matching event after {@code
   * filter.after()} in order. Runs until the consumer throws, the thread is interrupted or, when the
   * filter has {@code until}, that time has passed; a dropped connection is resumed without losing
   * or repeating events, as {@link #watch} does.
   */
  public void followAudit(AuditFilter filter, Consumer<AuditEvent> consumer) {
    Objects.requireNonNull(filter, "filter");
    Objects.requireNonNull(consumer, "consumer");
    long last = filter.after();
    int failures = 0;
    while (true) {
      Attempt attempt = stream("/audit/events/stream" + filter.query(last, false), last, event -> consumer.accept(auditEvent(event)));
      if (attempt.last() > last) failures = 0;
      last = attempt.last();
      UnavailableException failure = attempt.dropped();
      if (failure == null) {
        if (filter.until() != null && Instant.now().isAfter(filter.until())) return;
        failure = new UnavailableException("AUDIT_STREAM_ENDED", "the audit event stream ended; the gateway may be stopping");
      }
      if (++failures > watchRetries) throw failure;
      try {
        Thread.sleep(Math.min(5_000L, 250L << Math.min(failures - 1, 10)));
      } catch (InterruptedException e) {
        throw Errors.fromTransport(e, base, timeout);
      }
    }
  }

  private static AuditEvent auditEvent(SseParser.Event event) {
    try {
      return ClientJson.MAPPER.readValue(event.data(), AuditEvent.class);
    } catch (IOException e) {
      throw new InternalException(
          "UNEXPECTED_RESPONSE", "the audit stream sent an event this client cannot read (" + e.getMessage() + "); is the gateway a compatible FedGrid version?");
    }
  }

  /** Checks the audit ledger's hash chain (needs {@code can_triage_requests} or {@code can_manage_users}). */
  public AuditVerification verifyAudit() {
    return verifyAudit(null);
  }

  /**
   * As {@link #verifyAudit()}; with {@code expectedHead} (a {@link AuditVerification#headHash()}
   * kept from earlier) it also finds a ledger rewritten consistently since.
   */
  public AuditVerification verifyAudit(String expectedHead) {
    String query = expectedHead == null || expectedHead.isBlank() ? "" : "?expectedHead=" + encode(expectedHead.strip());
    return send(request("/audit/verify" + query).POST(BodyPublishers.noBody()), type(AuditVerification.class));
  }

  // ---- events ----

  /**
   * Follows a job's events live, calling {@code consumer} for each one after {@code afterSeq} in
   * order, and returns once the job has finished and its last event was delivered.
   *
   * <p>A dropped connection is resumed with {@code Last-Event-ID}, so no event is lost or repeated;
   * after {@link Builder#watchRetries} failed reconnections in a row it gives up with the last
   * failure. The consumer runs on the calling thread; an exception it throws ends the watch.
   *
   * @param afterSeq 0 for every event, or the {@link JobEventView#seq()} of the last event seen
   * @throws dev.fedgrid.api.NotFoundException when the job does not exist
   */
  public void watch(JobId id, long afterSeq, Consumer<JobEventView> consumer) {
    Objects.requireNonNull(consumer, "consumer");
    long last = afterSeq;
    int failures = 0;
    while (true) {
      Attempt attempt = stream(id, last, consumer);
      UnavailableException failure = attempt.dropped();
      if (attempt.last() > last) failures = 0; // progress: a fresh retry budget
      last = attempt.last();
      if (failure == null) {
        try {
          if (job(id).state().isTerminal()) return;
          // The stream ended cleanly before the job did (a proxy's timeout, say): reconnect.
          failure = new UnavailableException("WATCH_STREAM_ENDED", "the event stream of job " + id + " ended before the job finished");
        } catch (UnavailableException e) {
          failure = e;
        }
      }
      if (++failures > watchRetries) throw failure;
      try {
        Thread.sleep(Math.min(5_000L, 250L << Math.min(failures - 1, 10)));
      } catch (InterruptedException e) {
        throw Errors.fromTransport(e, base, timeout);
      }
    }
  }

  /** How one connection of a watch went: the last event delivered, and why it dropped if it did. */
  private record Attempt(long last, UnavailableException dropped) {}

  /** Reads one connection's events; a failure other than "unavailable" is thrown. */
  private Attempt stream(JobId id, long after, Consumer<JobEventView> consumer) {
    return stream("/jobs/" + id + "/events" + (after > 0 ? "?after=" + after : ""), after, event -> consumer.accept(view(event)));
  }

  /**
   * Reads one connection of a server-sent event stream whose ids are sequence numbers, delivering
   * each event after {@code after} once; a failure other than "unavailable" is thrown.
   */
  private Attempt stream(String path, long after, Consumer<SseParser.Event> consumer) {
    HttpRequest.Builder b = request(path)
        .GET()
        .setHeader("Accept", "text/event-stream");
    if (after > 0) b.header("Last-Event-ID", Long.toString(after));
    long[] last = {after};
    try {
      HttpResponse<Stream<String>> res = http.send(b.build(), BodyHandlers.ofLines());
      try (Stream<String> lines = res.body()) {
        if (res.statusCode() != 200) {
          String body = lines.collect(Collectors.joining("\n"));
          throw Errors.fromResponse(res.statusCode(), body.getBytes(StandardCharsets.UTF_8), "GET", res.uri(), res.headers());
        }
        var parser = new SseParser(event -> {
          long seq = sequence(event);
          if (seq > 0 && seq <= last[0]) return; // never deliver twice
          consumer.accept(event);
          last[0] = Math.max(last[0], seq);
        });
        lines.forEach(parser::line);
      }
      return new Attempt(last[0], null);
    } catch (IOException | InterruptedException | UncheckedIOException e) {
      FedGridException f = Errors.fromTransport(e, base, timeout);
      if (f instanceof UnavailableException u && !u.code().equals("INTERRUPTED")) return new Attempt(last[0], u);
      throw f;
    } catch (UnavailableException e) {
      return new Attempt(last[0], e);
    }
  }

  /** An event's sequence number from its SSE id; 0 when it has none. */
  private static long sequence(SseParser.Event event) {
    try {
      return Long.parseLong(event.id());
    } catch (NumberFormatException | NullPointerException e) {
      return 0;
    }
  }

  private static JobEventView view(SseParser.Event event) {
    long seq = sequence(event);
    try {
      JsonNode data = ClientJson.MAPPER.readTree(event.data());
      if (data.isObject()) {
        return new JobEventView(
            data.path("seq").asLong(seq),
            data.path("type").asText(event.type()),
            data.path("message").asText(""),
            data.hasNonNull("at") ? Instant.parse(data.get("at").asText()) : null);
      }
    } catch (IOException | RuntimeException e) {
      // not JSON: the data is the message
    }
    return new JobEventView(seq, event.type(), event.data(), null);
  }

  // ---- service ----

  /** The gateway's health. */
  public record Health(String status, String version) {}

  /** Whether the gateway answers, and its version. */
  public Health health() {
    return send(request("/health").GET(), type(Health.class));
  }

  /**
   * The compute market and the ledger through this client's connection and token: offers, demands,
   * proposals, agreements, allocations, debit notes, invoices, accounts and transfers.
   */
  public MarketClient market() {
    return new MarketClient(this);
  }

  /** Activities under approved market agreements through this client's connection and token. */
  public ActivityClient activities() {
    return new ActivityClient(this);
  }

  /** Releases the client's connections; calls after this fail. */
  @Override
  public void close() {
    http.close();
  }

  // ---- plumbing ----

  HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + API + path))
        .timeout(timeout)
        .header("Accept", JSON)
        .header("User-Agent", "fedgrid-client");
    if (token != null) b.header("Authorization", "Bearer " + token);
    return b;
  }

  /** A builder with this client's options, token included. */
  private Builder copy() {
    return builder().baseUri(base).timeout(timeout).watchRetries(watchRetries).token(token).sslContext(ssl);
  }

  <T> T send(HttpRequest.Builder request, JavaType type) {
    return join(sendAsync(request, type));
  }

  <T> List<T> items(HttpRequest.Builder request, Class<T> item) {
    JavaType list = ClientJson.MAPPER.getTypeFactory().constructCollectionType(List.class, item);
    JavaType wrapper = ClientJson.MAPPER.getTypeFactory().constructMapType(Map.class, ClientJson.MAPPER.constructType(String.class), list);
    Map<String, List<T>> body = send(request, wrapper);
    List<T> items = body.get("items");
    return items == null ? List.of() : items;
  }

  static JavaType type(Class<?> c) {
    return ClientJson.MAPPER.constructType(c);
  }

  /** Sends and decodes a 2xx body as {@code type} ({@code null}: no body expected). */
  private <T> CompletableFuture<T> sendAsync(HttpRequest.Builder builder, JavaType type) {
    HttpRequest request = builder.build();
    CompletableFuture<HttpResponse<byte[]>> sent;
    try {
      sent = http.sendAsync(request, BodyHandlers.ofByteArray());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(Errors.fromTransport(e, base, timeout));
    }
    return sent.handle((res, error) -> {
      if (error != null) throw Errors.fromTransport(error, base, timeout);
      if (res.statusCode() / 100 != 2) throw Errors.fromResponse(res.statusCode(), res.body(), request.method(), request.uri(), res.headers());
      if (type == null) return null;
      try {
        return ClientJson.MAPPER.readValue(res.body(), type);
      } catch (IOException e) {
        String reason = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
        throw new InternalException(
            "UNEXPECTED_RESPONSE",
            request.method() + " " + request.uri() + " answered something this client cannot read: " + reason
                + "; is the gateway a compatible FedGrid version?",
            Map.of(),
            e);
      }
    });
  }

  private <T> T join(CompletableFuture<T> future) {
    try {
      return future.get();
    } catch (InterruptedException e) {
      future.cancel(true);
      throw Errors.fromTransport(e, base, timeout);
    } catch (ExecutionException e) {
      throw Errors.fromTransport(e, base, timeout);
    }
  }

  static byte[] toJson(Object value) {
    try {
      return ClientJson.MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** A path segment: encoded, spaces as %20. */
  static String segment(String s) {
    Objects.requireNonNull(s, "name");
    if (s.isBlank()) throw new InvalidRequestException("INVALID_NAME", "a name in a request path must not be blank");
    return encode(s).replace("+", "%20");
  }

  private static List<String> sorted(Set<Permission> permissions) {
    return permissions == null ? List.of() : permissions.stream().sorted().map(Permission::wireName).toList();
  }

  /**
   * Configures a {@link FedGridClient}. Every option has a default; {@link #build()} checks them.
   *
   * <p>Not thread-safe; the client it builds is.
   */
  public static final class Builder {
    private URI baseUri = DEFAULT_BASE_URI;
    private Duration timeout = DEFAULT_TIMEOUT;
    private int watchRetries = DEFAULT_WATCH_RETRIES;
    private String token;
    private SSLContext ssl;

    private Builder() {}

    /**
     * The API token sent as {@code Authorization: Bearer} on every call (default: none, which only
     * {@link FedGridClient#health()} and {@link FedGridClient#login} accept): a personal token from
     * {@code fedgrid token create} or a session token from a login. {@code null} sends none.
     */
    public Builder token(String token) {
      this.token = token == null ? null : token.strip();
      return this;
    }

    /** The options, never the token. */
    @Override
    public String toString() {
      return "FedGridClient.Builder[" + baseUri + ", timeout " + timeout + (token == null ? ", no token" : ", with token") + "]";
    }

    /**
     * Trust a gateway whose certificate the project CA in {@code caPemFile} issued (PEM, such as
     * {@code ca.pem} from {@code fedgrid pki init} or a gateway's TLS directory), and no other;
     * the certificate must also name the URL's host. Default: the JDK's trust store.
     *
     * @throws InvalidRequestException with code {@code INVALID_CA_FILE} when the file is missing or
     *     holds no certificate
     */
    public Builder trustCa(Path caPemFile) {
      this.ssl = GatewayTrust.trusting(Objects.requireNonNull(caPemFile, "caPemFile"));
      return this;
    }

    /** The TLS context for {@code https://} gateways, instead of {@link #trustCa(Path)}; null for the JDK's default. */
    public Builder sslContext(SSLContext context) {
      this.ssl = context;
      return this;
    }

    /** The gateway's control API, such as {@code https://127.0.0.1:7600} (the default). */
    public Builder baseUri(URI baseUri) {
      this.baseUri = Objects.requireNonNull(baseUri, "baseUri");
      return this;
    }

    /** As {@link #baseUri(URI)}, parsed from a string. */
    public Builder baseUri(String baseUri) {
      try {
        return baseUri(URI.create(Objects.requireNonNull(baseUri, "baseUri").strip()));
      } catch (IllegalArgumentException e) {
        throw new InvalidRequestException("INVALID_GATEWAY_URL", "'" + baseUri + "' is not a URL; use for example https://127.0.0.1:7600");
      }
    }

    /**
     * How long to wait for an answer's headers (default 30 s). Downloads and event streams may run
     * longer once their answer started.
     */
    public Builder timeout(Duration timeout) {
      this.timeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** How many reconnections in a row {@link FedGridClient#watch} tries before giving up (default 5). */
    public Builder watchRetries(int watchRetries) {
      this.watchRetries = watchRetries;
      return this;
    }

    /**
     * @throws InvalidRequestException naming the option when one is out of range
     */
    public FedGridClient build() {
      String scheme = baseUri.getScheme();
      if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || baseUri.getHost() == null) {
        throw new InvalidRequestException(
            "INVALID_GATEWAY_URL", "the gateway URL '" + baseUri + "' must be http:// or https:// with a host, for example https://127.0.0.1:7600");
      }
      if (baseUri.getQuery() != null || baseUri.getFragment() != null) {
        throw new InvalidRequestException("INVALID_GATEWAY_URL", "the gateway URL '" + baseUri + "' must not have a query or fragment");
      }
      String s = baseUri.toString();
      while (s.endsWith("/")) s = s.substring(0, s.length() - 1);
      baseUri = URI.create(s);
      if (timeout.isNegative() || timeout.isZero()) {
        throw new InvalidRequestException("INVALID_TIMEOUT", "the client timeout must be positive, got " + timeout);
      }
      if (watchRetries < 0 || watchRetries > 1000) {
        throw new InvalidRequestException("INVALID_WATCH_RETRIES", "watchRetries must be in [0, 1000], got " + watchRetries);
      }
      if (token != null && (token.isEmpty() || !token.chars().allMatch(c -> c > 0x20 && c < 0x7f))) {
        throw new InvalidRequestException("INVALID_TOKEN_FORMAT", "an API token is one word of printable ASCII (such as fgt_...); check what was passed as the token");
      }
      return new FedGridClient(this, null);
    }
  }
}
