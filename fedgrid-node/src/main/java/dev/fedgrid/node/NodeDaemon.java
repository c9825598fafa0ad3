package dev.fedgrid.node;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.ml.DjlTrainingEngine;
import dev.fedgrid.ml.TrainingEngine;
import dev.fedgrid.proto.fleet.v1.RegisterRequest;
import dev.fedgrid.proto.fleet.v1.RegisterResponse;
import dev.fedgrid.proto.fleet.v1.RegisteredDataset;
import dev.fedgrid.proto.fleet.v1.Task;
import dev.fedgrid.security.TlsMaterial;
import io.grpc.Status;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running FedGrid node: it loads its datasets, registers their metadata (never a row) with the
 * gateway, sends heartbeats, long-polls for tasks, and runs each one (fetch the parameters, train
 * or evaluate locally, push the result) on its own virtual thread, at most {@link
 * NodeConfig#maxConcurrentTasks()} at a time.
 *
 * <pre>{@code
 * try (NodeDaemon node = NodeDaemon.start(config)) {
 *   node.awaitTermination();
 * }
 * }</pre>
 *
 * <p>The node always dials out. When the gateway is unreachable it retries with exponential
 * back-off and jitter; when the gateway no longer knows it (after a reset) it registers again,
 * presenting the id and token saved in {@code <dataDir>/node-identity.json} so that it keeps its
 * id where the gateway allows. {@link #close()} stops polling, interrupts training in progress
 * (reporting those tasks as failed), closes the connection and returns within a few seconds.
 *
 * <p>A node without a saved identity the gateway knows enrols with the single-use join token of
 * {@link NodeConfig#joinToken()}. When the gateway refuses to enrol it (no join token, or one that
 * is unknown, expired, used, revoked or for another name: codes {@code JOIN_TOKEN_*}) retrying
 * cannot help, so the node stops: {@link #awaitRegistration} throws the refusal and {@link
 * #failure()} holds it.
 *
 * <p>Thread-safe.
 */
public final class NodeDaemon implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NodeDaemon.class);
  private static final Duration TASK_STOP_WAIT = Duration.ofSeconds(3);

  private final NodeConfig config;
  private final TrainingEngine engine;
  private final boolean ownsEngine;
  private final Map<String, DatasetLoader.Loaded> datasets;
  private final String version;
  private final GatewayClient client;
  private final TaskRunner runner;
  /**
   * Platform threads: the node bills the engine thread's CPU time (TaskRunner#cpuTimed), and the
   * JVM measures none for a virtual thread (ThreadMXBean gives -1), so tasks and activity commands
   * would report 0.
   */
  private final ExecutorService engineThreads = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().name("fedgrid-engine-", 0).daemon().factory());
  private final AtomicReference<Session> session = new AtomicReference<>();
  private final Semaphore slots;
  private final Set<Thread> taskThreads = ConcurrentHashMap.newKeySet();
  private final CountDownLatch firstRegistration = new CountDownLatch(1);
  private final CountDownLatch terminated = new CountDownLatch(1);
  private volatile NodeIdentity identity;
  private volatile FedGridException failure;
  private volatile NodeId forgottenIdentity; // the saved id the gateway last refused, for the refusal's message
  private volatile boolean closing;
  private volatile Thread pollLoop;
  private volatile Thread heartbeatLoop;
  private volatile Thread activityLoop;

  private NodeDaemon(
      NodeConfig config, TrainingEngine engine, boolean ownsEngine, Map<String, DatasetLoader.Loaded> datasets, NodeIdentity identity, TlsMaterial tls) {
    this.config = config;
    this.engine = engine;
    this.ownsEngine = ownsEngine;
    this.datasets = datasets;
    this.identity = identity;
    this.version = Optional.ofNullable(NodeDaemon.class.getPackage().getImplementationVersion()).orElse("dev");
    this.client = new GatewayClient(config, version, tls);
    this.slots = new Semaphore(config.maxConcurrentTasks());
    this.runner = new TaskRunner(client, engine, engineThreads, config.clock(), config.callTimeout(), () -> closing, new ConfidentialArtifacts(tls, config.callTimeout()));
  }

  /**
   * Starts a node that trains with the DJL engine (running at most {@link
   * NodeConfig#maxConcurrentTasks()} tasks at once) and reads datasets with fedgrid-ml's readers.
   * The datasets are loaded before PyTorch starts, so a bad file fails fast; the engine is closed
   * with the node.
   *
   * @throws InvalidRequestException when a dataset cannot be loaded (the message names it)
   * @throws dev.fedgrid.api.InternalException when the saved identity cannot be read
   * @throws dev.fedgrid.ml.TrainingException when PyTorch cannot start
   */
  public static NodeDaemon start(NodeConfig config) {
    return start(config, () -> DjlTrainingEngine.create(config.maxConcurrentTasks()), new MlDatasetLoader(), true);
  }

  /**
   * Starts a node with the given engine, which the caller keeps and closes after the node.
   * Datasets are read with fedgrid-ml's readers. Returns once the datasets are loaded;
   * registration and polling continue in the background.
   *
   * @throws InvalidRequestException when a dataset cannot be loaded (the message names it)
   * @throws dev.fedgrid.api.InternalException when the saved identity cannot be read
   */
  public static NodeDaemon start(NodeConfig config, TrainingEngine engine) {
    Objects.requireNonNull(engine, "engine");
    return start(config, () -> engine, new MlDatasetLoader(), false);
  }

  static NodeDaemon start(NodeConfig config, Supplier<TrainingEngine> engines, DatasetLoader loader, boolean ownsEngine) {
    Objects.requireNonNull(config, "config");
    // the TLS files first: a wrong one fails in milliseconds, before datasets and the engine load
    TlsMaterial tls = config.tlsDir().map(dir -> TlsMaterial.load(dir, config.clock())).orElse(null);
    if (tls == null) {
      LOG.warn("INSECURE: TLS is off; this node dials {} in plaintext, so its token and the model parameters cross the network readable by anyone,"
          + " and it cannot tell the gateway from an impostor. Give it a TLS directory ('fedgrid pki issue node NAME')", config.gateway());
    }
    var loaded = new LinkedHashMap<String, DatasetLoader.Loaded>();
    for (DatasetOption option : config.datasets()) {
      DatasetLoader.Loaded d = loader.load(option);
      if (!d.metadata().name().equals(option.name())) {
        throw new IllegalStateException("the loader named dataset " + option.name() + " '" + d.metadata().name() + "'");
      }
      DatasetMetadata m = d.metadata();
      LOG.info(
          "loaded dataset {} from {}: {} training and {} test rows, features {}, label '{}' ({}), {}",
          m.name(), option.path(), m.trainRows(), m.testRows(), m.featureShape(), m.label().column(), m.label().kind(), m.visibility());
      loaded.put(option.name(), d);
    }
    NodeIdentity identity = NodeIdentity.load(config.dataDir()).orElse(null);
    TrainingEngine engine = Objects.requireNonNull(engines.get(), "engine");
    NodeDaemon node;
    try {
      node = new NodeDaemon(config, engine, ownsEngine, loaded, identity, tls);
    } catch (RuntimeException e) {
      if (ownsEngine) engine.close();
      throw e;
    }
    node.heartbeatLoop = Thread.ofVirtual().name("fedgrid-node-heartbeat").start(node::heartbeatLoop);
    node.pollLoop = Thread.ofVirtual().name("fedgrid-node-poll").start(node::pollLoop);
    // scripts of market activities (docs/market.md, "Activities"), one at a time, beside the tasks
    var activities = new ActivityWorker(node.client, node.engine, node.engineThreads, config, node.session::get, () -> node.closing);
    node.activityLoop = Thread.ofVirtual().name("fedgrid-node-activities").start(activities::loop);
    return node;
  }

  /** The node's id once it has one: saved from an earlier run, or given by the gateway. */
  public Optional<NodeId> nodeId() {
    Session s = session.get();
    if (s != null) return Optional.of(s.nodeId());
    NodeIdentity id = identity;
    return id == null ? Optional.empty() : Optional.of(id.nodeId());
  }

  /** The metadata of the datasets this node hosts: what the gateway sees. */
  public List<DatasetMetadata> datasets() {
    return datasets.values().stream().map(DatasetLoader.Loaded::metadata).toList();
  }

  /**
   * Waits until the node has registered with the gateway at least once.
   *
   * @throws TimeoutException when it has not within {@code timeout} (the gateway may be down)
   * @throws UnauthenticatedException or {@link PermissionDeniedException} with the gateway's code
   *     ({@code JOIN_TOKEN_REQUIRED}, {@code JOIN_TOKEN_INVALID}, ...) when the gateway refused to
   *     enrol the node, which has then stopped
   */
  public NodeId awaitRegistration(Duration timeout) throws InterruptedException, TimeoutException {
    if (!firstRegistration.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new TimeoutException("the node did not register with gateway " + config.gateway() + " within " + timeout);
    }
    if (failure != null) throw failure;
    return nodeId().orElseThrow();
  }

  /** Why the node stopped by itself (the gateway refused to enrol it); empty unless it did. */
  public Optional<FedGridException> failure() {
    return Optional.ofNullable(failure);
  }

  /** Blocks until {@link #close()} has finished. */
  public void awaitTermination() throws InterruptedException {
    terminated.await();
  }

  /** Blocks until {@link #close()} has finished or the timeout passes; true when it finished. */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    return terminated.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Stops the node: no more polls, training in progress interrupted and reported as failed, the
   * connection closed. Returns within a few seconds. Idempotent.
   */
  @Override
  public void close() {
    synchronized (this) {
      if (closing) {
        awaitQuietly();
        return;
      }
      closing = true;
    }
    LOG.info("node {} shutting down", nodeId().map(NodeId::value).orElse("(unregistered)"));
    pollLoop.interrupt();
    heartbeatLoop.interrupt();
    activityLoop.interrupt();
    taskThreads.forEach(Thread::interrupt);
    long until = System.nanoTime() + TASK_STOP_WAIT.toNanos();
    try {
      for (Thread t : new ArrayList<>(taskThreads)) t.join(Duration.ofNanos(Math.max(1, until - System.nanoTime())));
      pollLoop.join(Duration.ofSeconds(1));
      heartbeatLoop.join(Duration.ofSeconds(1));
      activityLoop.join(Duration.ofSeconds(1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    engineThreads.shutdownNow();
    client.close();
    if (ownsEngine) engine.close();
    LOG.info("node {} stopped", nodeId().map(NodeId::value).orElse("(unregistered)"));
    terminated.countDown();
  }

  private void awaitQuietly() {
    try {
      terminated.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------------------------- poll loop

  private void pollLoop() {
    var backoff = new Backoff(config.reconnectInitialBackoff(), config.reconnectMaxBackoff(), config.reconnectJitter(), new Random());
    boolean outage = false;
    while (!closing) {
      try {
        Session s = session.get();
        if (s == null) s = register();
        slots.acquire();
        boolean handedOff = false;
        try {
          Optional<Task> task = client.pullTask(s.nodeId(), config.pollWait());
          if (task.isPresent()) {
            startTask(s, task.get());
            handedOff = true;
          }
        } finally {
          if (!handedOff) slots.release();
        }
        if (outage) LOG.info("node {}: gateway {} reachable again", s.nodeId(), config.gateway());
        outage = false;
        backoff.reset();
      } catch (InterruptedException e) {
        break; // close()
      } catch (GatewayException e) {
        if (closing) break;
        if (enrolmentRefused(e)) {
          stopRefused(e);
          break;
        }
        if (forgotten(e)) {
          Session s = session.getAndSet(null);
          LOG.warn("node {}: the gateway does not know this node any more ({}); registering again", s == null ? "-" : s.nodeId(), e.code());
          if (backoff.failures() == 0) {
            backoff.next(); // re-register at once, but back off if that keeps happening
            continue;
          }
        }
        Duration wait = backoff.next();
        if (e.transientFailure()) {
          if (!outage || backoff.failures() % 10 == 0) {
            LOG.warn("node {}: gateway {} unreachable ({}{}); retrying in {} ms", nodeLabel(), config.gateway(), e.code(), tlsReason(e), wait.toMillis());
          }
          outage = true;
        } else {
          LOG.error("node {}: the gateway refused the call: {}; retrying in {} ms", nodeLabel(), e, wait.toMillis());
        }
        if (!sleep(wait)) break;
        client.resetConnectBackoff();
      } catch (RuntimeException e) {
        if (closing) break;
        Duration wait = backoff.next();
        LOG.error("node {}: unexpected failure; retrying in {} ms", nodeLabel(), wait.toMillis(), e);
        if (!sleep(wait)) break;
      }
    }
  }

  /** The gateway will not enrol this node with what it presented; asking again cannot help. */
  private static boolean enrolmentRefused(GatewayException e) {
    return e.code().startsWith("JOIN_TOKEN_");
  }

  /** Records the refusal, says what to do, and stops the node (on another thread: close() joins this one). */
  private void stopRefused(GatewayException e) {
    NodeId forgotten = forgottenIdentity;
    String message = "gateway " + config.gateway() + " refused to enrol node '" + config.nodeName() + "'"
        + (forgotten == null ? "" : " (it no longer accepts the saved identity " + forgotten + ")") + ": " + e.getMessage();
    failure = e.status() == Status.Code.PERMISSION_DENIED ? new PermissionDeniedException(e.code(), message) : new UnauthenticatedException(e.code(), message);
    LOG.error("{} ({}); the node stops", message, e.code());
    firstRegistration.countDown();
    Thread.ofVirtual().name("fedgrid-node-stop").start(this::close);
  }

  private static boolean forgotten(GatewayException e) {
    return e.unauthenticated() || e.status() == Status.Code.NOT_FOUND;
  }

  private Session register() {
    NodeIdentity known = identity;
    RegisterResponse r;
    try {
      r = client.register(hello(known));
    } catch (GatewayException e) {
      if (known == null || !(forgotten(e) || e.status() == Status.Code.PERMISSION_DENIED)) throw e;
      LOG.warn(
          "node {}: the gateway refused the saved identity ({}); enrolling as a new node{}", known.nodeId(), e.code(),
          config.joinToken().isPresent() ? " with the join token" : ", which needs a join token (--join-token)");
      identity = null;
      forgottenIdentity = known.nodeId();
      r = client.register(hello(null));
    }
    NodeIdentity fresh;
    try {
      fresh = new NodeIdentity(NodeId.of(r.getNodeId()), r.getNodeToken(), config.gateway());
    } catch (InvalidRequestException e) {
      throw GatewayException.protocol("the registration answer holds a malformed node id");
    }
    if (fresh.token().isEmpty()) throw GatewayException.protocol("the registration answer holds no token");
    if (!fresh.equals(known)) {
      fresh.save(config.dataDir());
      if (known != null && !known.nodeId().equals(fresh.nodeId())) {
        LOG.warn("node {} now has id {}: the gateway did not keep its earlier one", known.nodeId(), fresh.nodeId());
      }
    }
    identity = fresh;
    forgottenIdentity = null;
    client.authenticateAs(fresh);
    var byId = new HashMap<DatasetId, DatasetLoader.Loaded>();
    var names = new ArrayList<String>();
    for (RegisteredDataset d : r.getDatasetsList()) {
      DatasetLoader.Loaded loaded = datasets.get(d.getName());
      if (loaded == null) {
        LOG.warn("node {}: the gateway lists dataset '{}' ({}) that this node did not register; ignoring it", fresh.nodeId(), d.getName(), d.getDatasetId());
        continue;
      }
      byId.put(DatasetId.of(d.getDatasetId()), loaded);
      names.add(d.getName() + "=" + d.getDatasetId());
    }
    Duration heartbeat = config.heartbeatInterval()
        .orElse(r.getHeartbeatIntervalMs() > 0 ? Duration.ofMillis(r.getHeartbeatIntervalMs()) : Duration.ofSeconds(5));
    var s = new Session(fresh.nodeId(), byId, heartbeat);
    session.set(s);
    firstRegistration.countDown();
    LOG.info(
        "node {} registered with gateway {} as '{}': datasets {}, heartbeat every {} ms",
        fresh.nodeId(), config.gateway(), config.nodeName(), names, heartbeat.toMillis());
    heartbeatLoop.interrupt(); // pick up the new interval
    return s;
  }

  private RegisterRequest hello(NodeIdentity known) {
    var b = RegisterRequest.newBuilder()
        .setName(config.nodeName())
        .setCores(Runtime.getRuntime().availableProcessors())
        .setMemoryMib(Runtime.getRuntime().maxMemory() >> 20)
        .setVersion(version);
    if (known != null) b.setNodeId(known.nodeId().value()).setNodeToken(known.token());
    else config.joinToken().ifPresent(b::setJoinToken); // only a new node spends it
    for (DatasetLoader.Loaded d : datasets.values()) b.addDatasetMetadataJson(NodeJson.write(d.metadata()));
    return b.build();
  }

  private void startTask(Session s, Task task) {
    Thread t = Thread.ofVirtual().name("fedgrid-task-" + task.getTaskId()).unstarted(() -> {
      try {
        runner.run(s, task);
      } finally {
        taskThreads.remove(Thread.currentThread());
        slots.release();
      }
    });
    taskThreads.add(t);
    t.start();
  }

  // ----------------------------------------------------------------------------- heartbeat loop

  private void heartbeatLoop() {
    while (!closing) {
      Session s = session.get();
      Duration interval = s != null ? s.heartbeatInterval() : config.heartbeatInterval().orElse(Duration.ofSeconds(1));
      try {
        Thread.sleep(interval);
      } catch (InterruptedException e) {
        continue; // a new session, or close(): the loop condition decides
      }
      s = session.get();
      if (s == null || closing) continue;
      try {
        client.heartbeat(s.nodeId());
      } catch (GatewayException e) {
        if (forgotten(e) && session.compareAndSet(s, null)) {
          LOG.warn("node {}: heartbeat refused ({}); the node will register again", s.nodeId(), e.code());
        } else {
          LOG.debug("node {}: heartbeat failed: {}", s.nodeId(), e.toString());
        }
      }
    }
  }

  private boolean sleep(Duration wait) {
    try {
      Thread.sleep(wait);
      return true;
    } catch (InterruptedException e) {
      return false;
    }
  }

  private String nodeLabel() {
    return nodeId().map(NodeId::value).orElse("(unregistered)");
  }

  /**
   * Why a TLS handshake failed, for the log: the certificate check's own message when this side
   * refused the gateway (wrong CA, host name), else the alert the gateway sent (certificate
   * revoked, expired, unknown CA); empty when TLS was not the cause.
   */
  static String tlsReason(Throwable e) {
    String alert = "";
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof CertificateException) return ": " + t.getMessage();
      if (t instanceof SSLException && t.getMessage() != null && t.getMessage().contains("not an SSL/TLS record")) {
        return ": the gateway does not speak TLS (it runs with --insecure); start it with its --tls-dir, or start this node with --insecure too";
      }
      if (t instanceof SSLException && t.getMessage() != null) alert = ": " + t.getMessage();
    }
    return alert;
  }
}
