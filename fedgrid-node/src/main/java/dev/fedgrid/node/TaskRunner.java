package dev.fedgrid.node;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.core.dp.LocalDp;
import dev.fedgrid.core.secagg.SecAggAssignment;
import dev.fedgrid.core.tensor.TensorCodec;
import dev.fedgrid.ml.EvalResult;
import dev.fedgrid.ml.FitResult;
import dev.fedgrid.ml.TrainingEngine;
import dev.fedgrid.ml.TrainingException;
import dev.fedgrid.proto.fleet.v1.Task;
import dev.fedgrid.proto.fleet.v1.TaskKind;
import dev.fedgrid.proto.fleet.v1.UpdateHeader;
import io.grpc.Status;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one task from start to finish: reads it, fetches and checks its parameters, trains or
 * evaluates on the named dataset within the deadline, and pushes the result, or reports why not.
 *
 * <p>Deadline: training gets the time left before the task's deadline minus a reserve for the
 * upload (a tenth of the time left, between 0.5 s and 10 s); work still running then is
 * interrupted and the task reported as failed. Reasons sent to the gateway are built from the
 * node's own messages and {@link TrainingException} messages (which the engine guarantees are safe
 * to share), never from data. Thread-safe: each call runs on its own task thread.
 *
 * <p>Local differential privacy: a fit task that carries {@code local_privacy} is checked before
 * anything else is done (a task with invalid values is refused and reported), and the trained
 * parameters are replaced by {@link LocalDp#privatize} ({@code global + clip(local - global, C) +
 * N(0, (z C)^2)}, noise from a {@code SecureRandom}) before they are encoded, so no un-noised update
 * leaves the node.
 *
 * <p>Confidential models: a task that carries a sealed model spec has only its outline in {@code
 * model_spec_json}; {@link ConfidentialArtifacts} recovers the data key from the key custodians and
 * the task runs the sealed spec, or fails with the custodians' reasons.
 * <p>Secure aggregation: a fit task that carries {@code secagg} never pushes its update; after
 * training, {@link SecAggSession} sends the difference from the global model masked through the
 * SecAgg+ stages (after local DP, when the task has both).
 */
final class TaskRunner {
  private static final Logger LOG = LoggerFactory.getLogger(TaskRunner.class);
  private static final Pattern METRIC_KEY = Pattern.compile("[A-Za-z][A-Za-z0-9_.:/-]{0,63}");
  private static final int MAX_METRICS = 64;
  private static final int MAX_REASON = 1000;
  private static final int TRANSFER_ATTEMPTS = 3;
  private static final Duration SHUTDOWN_REPORT_TIMEOUT = Duration.ofSeconds(1);

  private final GatewayClient client;
  private final TrainingEngine engine;
  private final ExecutorService engineThreads;
  private final InstantSource clock;
  private final Duration callTimeout;
  private final BooleanSupplier closing;
  private final ConfidentialArtifacts confidential;
  private final SecAggSession secAgg;

  TaskRunner(
      GatewayClient client, TrainingEngine engine, ExecutorService engineThreads, InstantSource clock, Duration callTimeout, BooleanSupplier closing,
      ConfidentialArtifacts confidential) {
    this.client = client;
    this.engine = engine;
    this.engineThreads = engineThreads;
    this.clock = clock;
    this.callTimeout = callTimeout;
    this.closing = closing;
    this.confidential = confidential;
    this.secAgg = new SecAggSession(client, clock);
  }

  /** Why a task stops early; {@code reason} is safe to send, {@code report} says whether to. */
  private static final class Stop extends Exception {
    private static final long serialVersionUID = 1L;
    final boolean report;

    Stop(String reason, boolean report) {
      super(reason, null, false, false);
      this.report = report;
    }
  }

  void run(Session session, Task task) {
    String ids = "node " + session.nodeId() + " job " + task.getJobId() + " round " + task.getRound() + " task " + task.getTaskId();
    long start = System.nanoTime();
    try {
      String summary = execute(session, task, ids);
      LOG.info("{}: {} finished in {} ms: {}", ids, kind(task), (System.nanoTime() - start) / 1_000_000, summary);
    } catch (Stop stop) {
      if (!stop.report) {
        LOG.warn("{}: {} abandoned: {}", ids, kind(task), stop.getMessage());
        return;
      }
      LOG.warn("{}: {} failed after {} ms: {}", ids, kind(task), (System.nanoTime() - start) / 1_000_000, stop.getMessage());
      boolean shuttingDown = closing.getAsBoolean();
      if (shuttingDown) Thread.interrupted(); // the report must not be cancelled by the shutdown's interrupt
      try {
        client.reportFailure(task, truncate(stop.getMessage()), shuttingDown ? SHUTDOWN_REPORT_TIMEOUT : callTimeout);
      } catch (GatewayException e) {
        LOG.warn("{}: could not report the failure to the gateway: {}", ids, e.toString());
      }
    }
  }

  private String execute(Session session, Task task, String ids) throws Stop {
    boolean fit = switch (task.getKind()) {
      case TASK_KIND_FIT -> true;
      case TASK_KIND_EVALUATE -> false;
      default -> throw new Stop("the node does not know task kind " + task.getKind() + "; upgrade the node", true);
    };
    ModelSpec declared;
    TrainingConfig training;
    FeatureScaling scaling;
    ParameterLayout layout;
    DatasetLoader.Loaded dataset;
    LocalDp localDp = null;
    if (task.hasLocalPrivacy()) {
      if (!fit) throw new Stop("the node refuses the task: local differential privacy applies to fit tasks only, but an evaluate task carries it", true);
      try {
        localDp = LocalDp.of(task.getLocalPrivacy().getNoiseMultiplier(), task.getLocalPrivacy().getClipNorm());
      } catch (FedGridException e) {
        throw new Stop("the node refuses the task: its local differential privacy is invalid: " + e.getMessage(), true);
      }
    }
    SecAggAssignment secAggTask = null;
    if (task.hasSecagg()) {
      if (!fit) throw new Stop("the node refuses the task: secure aggregation applies to fit tasks only, but an evaluate task carries it", true);
      try {
        secAggTask = SecAggSession.assignment(task.getSecagg());
      } catch (FedGridException e) {
        throw new Stop("the node refuses the task: its SecAgg+ setup is invalid: " + e.getMessage(), true);
      }
    }
    try {
      declared = NodeJson.read(task.getModelSpecJson(), ModelSpec.class, "model_spec_json");
      training = NodeJson.read(task.getTrainingConfigJson(), TrainingConfig.class, "training_config_json");
      scaling = NodeJson.read(task.getFeatureScalingJson(), FeatureScaling.class, "feature_scaling_json");
      layout = NodeJson.read(task.getParameterLayoutJson(), ParameterLayout.class, "parameter_layout_json");
      dataset = session.datasets().get(DatasetId.of(task.getDatasetId()));
    } catch (FedGridException e) {
      throw new Stop("the node cannot read the task: " + e.getMessage(), true);
    }
    if (dataset == null) {
      throw new Stop("dataset " + task.getDatasetId() + " is not hosted by this node (or was not loaded at its start)", true);
    }
    ModelSpec spec = model(task, declared);
    String name = dataset.metadata().name();
    try {
      TensorCodec.checkLayout(layout, spec.parameterLayout(dataset.metadata().featureShape()));
    } catch (FedGridException e) {
      throw new Stop("the model does not fit dataset " + name + ": " + e.getMessage(), true);
    }
    if (!fit && dataset.test().rows() == 0) {
      throw new Stop("dataset " + name + " has no test split to evaluate on; restart the node with test=0.2 in its --dataset option", true);
    }
    Instant deadline = Instant.ofEpochMilli(task.getDeadlineEpochMs());
    if (!clock.instant().isBefore(deadline)) throw new Stop("the task arrived after its deadline " + deadline, true);
    LOG.info("{}: {} started on dataset {} ({} rows), deadline {}", ids, kind(task), name, fit ? dataset.train().rows() : dataset.test().rows(), deadline);

    Parameters global;
    byte[] bytes = transfer("fetch the parameters", deadline, () -> client.fetchParameters(task, deadline));
    try {
      global = TensorCodec.decode(bytes, layout);
    } catch (FedGridException e) {
      throw new Stop("the parameters do not match the task: " + e.getMessage(), true);
    }

    Duration left = Duration.between(clock.instant(), deadline);
    Duration reserve = clamp(left.dividedBy(10), Duration.ofMillis(500), Duration.ofSeconds(10));
    Duration budget = left.minus(reserve);
    if (budget.isNegative() || budget.isZero()) {
      throw new Stop("no time was left to " + (fit ? "train" : "evaluate") + " before the task's deadline", true);
    }

    UpdateHeader.Builder header = UpdateHeader.newBuilder()
        .setTaskId(task.getTaskId()).setJobId(task.getJobId()).setRound(task.getRound()).setKind(task.getKind());
    byte[] update;
    Map<String, Double> metrics;
    long examples;
    long cpuMicros;
    if (fit) {
      Timed<FitResult> timed = withinBudget(budget, cpuTimed(() -> engine.fit(spec, global, dataset.train(), scaling, training, task.getProximalMu())));
      FitResult r = timed.result();
      cpuMicros = timed.cpuMicros();
      if (!r.parameters().layout().equals(layout)) throw new Stop("the training engine returned parameters of another layout", true);
      int bad = r.parameters().firstNonFinite();
      if (bad >= 0) throw new Stop("training diverged: parameter " + bad + " is NaN or infinite; lower the learning rate", true);
      Parameters sent = localDp == null ? r.parameters() : new Parameters(layout, localDp.privatize(r.parameters().values(), global.values()));
      if (secAggTask != null) return secure(task, secAggTask, sent, global, r.examples(), deadline, ids);
      update = TensorCodec.encode(sent);
      metrics = metrics(r.metrics(), ids);
      examples = r.examples();
    } else {
      Timed<EvalResult> timed = withinBudget(budget, cpuTimed(() -> engine.evaluate(spec, global, dataset.test(), scaling)));
      EvalResult r = timed.result();
      cpuMicros = timed.cpuMicros();
      update = new byte[0];
      metrics = metrics(r.metrics(), ids);
      examples = r.examples();
    }
    if (examples < 1) throw new Stop("the engine reported " + examples + " examples; dataset " + name + " may be empty", true);
    UpdateHeader h = header.setExamples(examples).putAllMetrics(metrics).setTotalSize(update.length).setCpuTimeUs(cpuMicros).build();
    transfer("push the result", deadline, () -> {
      try {
        client.pushUpdate(h, update, deadline);
      } catch (GatewayException e) {
        if (e.status() != Status.Code.ALREADY_EXISTS) throw e;
        LOG.info("{}: the gateway already had this result ({})", ids, e.code());
      }
      return null;
    });
    return examples + " examples, " + update.length + " bytes, " + cpuMicros / 1000 + " ms CPU, metrics " + metrics;
  }

  /** Engine work with the CPU time its thread spent on it, in microseconds. */
  record Timed<T>(T result, long cpuMicros) {}

  /**
   * The work measured in CPU time of the thread that runs it (the engine thread), reported to the
   * gateway for metering. The engine computes on that thread (PyTorch with one intra-op thread runs
   * its kernels on the caller's thread), so this is the task's CPU time; work on other threads is
   * not counted, so a node never reports more than it spent. 0 where the JVM cannot measure it.
   */
  static <T> Callable<Timed<T>> cpuTimed(Callable<T> work) {
    return () -> {
      long before = threadCpuNanos();
      T result = work.call();
      return new Timed<>(result, Math.max(0, threadCpuNanos() - before) / 1000);
    };
  }

  private static long threadCpuNanos() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    return threads.isCurrentThreadCpuTimeSupported() && threads.isThreadCpuTimeEnabled() ? threads.getCurrentThreadCpuTime() : 0;
  }

  /** The task's model: the declared one, or for a confidential job the sealed one it outlines. */
  private ModelSpec model(Task task, ModelSpec declared) throws Stop {
    if (task.getConfidentialModelJson().isEmpty()) return declared;
    try {
      return confidential.open(task, declared);
    } catch (FedGridException e) {
      throw new Stop("the node cannot open the job's confidential model: " + e.getMessage(), true);
    }
  }

  /** Sends a fit task's update through SecAgg+; a round that went on without the node is not reported back. */
  private String secure(Task task, SecAggAssignment assignment, Parameters sent, Parameters global, long examples, Instant deadline, String ids) throws Stop {
    if (examples < 1) throw new Stop("the engine reported " + examples + " examples", true);
    try {
      return secAgg.run(task, assignment, sent.values(), global.values(), examples, deadline, ids);
    } catch (InterruptedException e) {
      throw new Stop("the node is shutting down", true);
    } catch (GatewayException e) {
      if (closing.getAsBoolean()) throw new Stop("the node is shutting down", true);
      boolean over = e.status() == Status.Code.NOT_FOUND || e.status() == Status.Code.FAILED_PRECONDITION || e.status() == Status.Code.ALREADY_EXISTS;
      throw new Stop("SecAgg+ stopped: " + e.code() + ": " + e.getMessage(), !over);
    } catch (FedGridException e) {
      throw new Stop("SecAgg+ stopped: " + e.getMessage(), true);
    } catch (Exception e) {
      LOG.warn("{}: SecAgg+ failed", ids, e);
      throw new Stop("SecAgg+ failed with an internal error (" + e.getClass().getSimpleName() + "); the node's log has details", true);
    }
  }

  @FunctionalInterface
  private interface Transfer<T> {
    T run() throws InterruptedException;
  }

  /** Runs a fetch or push, retrying while the gateway is briefly unreachable and time is left. */
  private <T> T transfer(String what, Instant deadline, Transfer<T> call) throws Stop {
    for (int attempt = 1; ; attempt++) {
      try {
        return call.run();
      } catch (InterruptedException e) {
        throw new Stop("the node is shutting down", true);
      } catch (GatewayException e) {
        if (closing.getAsBoolean()) throw new Stop("the node is shutting down", true);
        switch (e.status()) {
          case NOT_FOUND, FAILED_PRECONDITION, ALREADY_EXISTS ->
              throw new Stop("the gateway no longer accepts this task (" + e.code() + ": " + e.getMessage() + ")", false);
          default -> {}
        }
        boolean timeLeft = clock.instant().plusSeconds(1).isBefore(deadline);
        if (!e.transientFailure() || attempt >= TRANSFER_ATTEMPTS || !timeLeft) {
          throw new Stop("could not " + what + ": " + e.code() + ": " + e.getMessage(), true);
        }
        try {
          Thread.sleep(250L * attempt);
        } catch (InterruptedException ie) {
          throw new Stop("the node is shutting down", true);
        }
        client.resetConnectBackoff();
      }
    }
  }

  /** Runs the engine on its own thread and interrupts it when the budget runs out. */
  private <T> T withinBudget(Duration budget, Callable<T> work) throws Stop {
    Future<T> future = engineThreads.submit(work);
    try {
      return future.get(budget.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new Stop(
          "the work did not finish in the " + String.format(java.util.Locale.ROOT, "%.1f", budget.toMillis() / 1000.0)
              + " s left before the task's deadline; give rounds more time or train fewer local epochs",
          true);
    } catch (InterruptedException e) {
      future.cancel(true);
      throw new Stop("the node is shutting down", true);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof TrainingException || cause instanceof FedGridException) {
        throw new Stop(cause.getMessage(), true); // safe to share by contract
      }
      LOG.warn("the training engine failed", cause);
      throw new Stop("training failed with an internal error (" + cause.getClass().getSimpleName() + "); the node's log has details", true);
    }
  }

  /** Keeps the metrics the gateway accepts: finite values under well-formed names, at most 64. */
  private static Map<String, Double> metrics(Map<String, Double> metrics, String ids) {
    var out = new TreeMap<String, Double>();
    for (var e : new TreeMap<>(metrics).entrySet()) {
      if (out.size() < MAX_METRICS && METRIC_KEY.matcher(e.getKey()).matches() && e.getValue() != null && Double.isFinite(e.getValue())) {
        out.put(e.getKey(), e.getValue());
      } else {
        LOG.warn("{}: dropping metric '{}' (not finite, badly named, or over {})", ids, e.getKey(), MAX_METRICS);
      }
    }
    return out;
  }

  private static Duration clamp(Duration d, Duration min, Duration max) {
    return d.compareTo(min) < 0 ? min : d.compareTo(max) > 0 ? max : d;
  }

  private static String kind(Task task) {
    return task.getKind() == TaskKind.TASK_KIND_FIT ? "fit" : task.getKind() == TaskKind.TASK_KIND_EVALUATE ? "evaluate" : "task";
  }

  private static String truncate(String reason) {
    String r = reason == null || reason.isBlank() ? "unknown failure" : reason.replaceAll("\\p{Cntrl}", " ");
    return r.length() > MAX_REASON ? r.substring(0, MAX_REASON - 1) + "…" : r;
  }
}
