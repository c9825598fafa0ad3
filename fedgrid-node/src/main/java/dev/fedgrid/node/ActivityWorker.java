package dev.fedgrid.node;

import com.google.protobuf.ByteString;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.core.data.FeatureStats;
import dev.fedgrid.core.init.Initializers;
import dev.fedgrid.core.tensor.TensorCodec;
import dev.fedgrid.market.ActivityLogTemplate;
import dev.fedgrid.ml.EvalResult;
import dev.fedgrid.ml.FitResult;
import dev.fedgrid.ml.TrainingEngine;
import dev.fedgrid.ml.TrainingException;
import dev.fedgrid.proto.activity.v1.ActivitiesGrpc;
import dev.fedgrid.proto.activity.v1.Command;
import dev.fedgrid.proto.activity.v1.Endpoint;
import dev.fedgrid.proto.activity.v1.FetchParametersRequest;
import dev.fedgrid.proto.activity.v1.ParameterChunk;
import dev.fedgrid.proto.activity.v1.ParameterSource;
import dev.fedgrid.proto.activity.v1.PullScriptRequest;
import dev.fedgrid.proto.activity.v1.PullScriptResponse;
import dev.fedgrid.proto.activity.v1.PushParametersResponse;
import dev.fedgrid.proto.activity.v1.ReportResultRequest;
import dev.fedgrid.proto.activity.v1.RunKind;
import dev.fedgrid.proto.activity.v1.Script;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the scripts of activities under market agreements (docs/market.md, "Activities"): long
 * polls the gateway's activity API, executes each script's commands in order and reports each
 * command's result as soon as it is known, stopping at the first failure.
 *
 * <p>A deployed model lives in memory, per activity, until a terminate command (or the node's
 * exit). What goes back is built by this class from numbers: counts, sizes, the engine's aggregate
 * metrics and a SHA-256 of the parameters; messages are the node's own or the engine's {@link
 * TrainingException} messages, which are safe to share by contract; log lines go through {@link
 * ActivityLog}, which takes template numbers and numbers only. No row, column name or file path of
 * a dataset is ever sent.
 *
 * <p>Thread-safe: one loop thread runs scripts one at a time; training runs on the engine threads.
 */
final class ActivityWorker {
  private static final Logger LOG = LoggerFactory.getLogger(ActivityWorker.class);
  private static final int CHUNK_BYTES = 1 << 20;
  private static final int MAX_PARAMETER_BYTES = Integer.MAX_VALUE - 8;
  /** The longest one run command may train or evaluate. */
  static final Duration MAX_RUN = Duration.ofMinutes(30);

  private final GatewayClient client;
  private final TrainingEngine engine;
  private final ExecutorService engineThreads;
  private final NodeConfig config;
  private final Supplier<Session> session;
  private final BooleanSupplier closing;
  private final ActivitiesGrpc.ActivitiesBlockingStub blocking;
  private final ActivitiesGrpc.ActivitiesStub async;
  private final Map<String, Deployed> deployed = new ConcurrentHashMap<>();
  /** CPU time the engine thread spent on the running command, in microseconds; reported with its result. */
  private final AtomicLong commandCpuMicros = new AtomicLong();

  /** A model deployed in an activity. */
  private record Deployed(ModelSpec spec, DatasetLoader.Loaded dataset, ParameterLayout layout, Parameters parameters, boolean started) {
    Deployed with(Parameters p) {
      return new Deployed(spec, dataset, layout, p, started);
    }
  }

  /** A command that failed; the message is safe to send. */
  private static final class Failed extends Exception {
    private static final long serialVersionUID = 1L;

    Failed(String message) {
      super(message, null, false, false);
    }
  }

  /** What a successful command returns. */
  private record Outcome(String message, Map<String, Double> values, String digest) {}

  ActivityWorker(GatewayClient client, TrainingEngine engine, ExecutorService engineThreads, NodeConfig config, Supplier<Session> session, BooleanSupplier closing) {
    this.client = client;
    this.engine = engine;
    this.engineThreads = engineThreads;
    this.config = config;
    this.session = session;
    this.closing = closing;
    this.blocking = ActivitiesGrpc.newBlockingStub(client.authenticatedChannel());
    this.async = ActivitiesGrpc.newStub(client.authenticatedChannel());
  }

  /** The loop: poll, run, repeat until the node closes. Failures of the gateway are retried after a pause. */
  void loop() {
    while (!closing.getAsBoolean()) {
      Session s = session.get();
      try {
        if (s == null) {
          Thread.sleep(200);
          continue;
        }
        PullScriptResponse r = blocking.withDeadlineAfter(config.pollWait().plus(config.callTimeout()).toMillis(), TimeUnit.MILLISECONDS)
            .pullScript(PullScriptRequest.newBuilder().setNodeId(s.nodeId().value()).setWaitMs(config.pollWait().toMillis()).build());
        if (r.hasScript()) run(s, r.getScript());
      } catch (InterruptedException e) {
        return;
      } catch (StatusRuntimeException e) {
        if (closing.getAsBoolean()) return;
        LOG.debug("node {}: activity poll failed: {}", s == null ? "-" : s.nodeId(), GatewayException.of(e).toString());
        try {
          Thread.sleep(1000);
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
  }

  /** Runs a script's commands in order, reporting each; stops at the first failure or when told to. */
  void run(Session s, Script script) throws InterruptedException {
    String ids = "node " + s.nodeId() + " activity " + script.getActivityId() + " script " + script.getBatchId();
    LOG.info("{}: {} command(s) to run", ids, script.getCommandsCount());
    for (Command c : script.getCommandsList()) {
      var log = new ActivityLog(config.clock());
      long start = System.nanoTime();
      commandCpuMicros.set(0);
      var report = ReportResultRequest.newBuilder().setActivityId(script.getActivityId()).setBatchId(script.getBatchId()).setIndex(c.getIndex());
      boolean ok;
      try {
        Outcome o = execute(s, script, c, log);
        report.setOk(true).setMessage(o.message()).putAllValues(o.values()).setParametersDigest(o.digest());
        ok = true;
        LOG.info("{}: command {} ({}) ok: {}", ids, c.getIndex(), c.getCommandCase().name().toLowerCase(java.util.Locale.ROOT), o.message());
      } catch (Failed | RuntimeException f) {
        // a RuntimeException is a bug here: its message could carry anything, so only its type is sent
        String message = f instanceof Failed ? f.getMessage() : "the command failed with an internal error (" + f.getClass().getSimpleName() + "); the node's log has details";
        if (f instanceof RuntimeException) LOG.error("{}: command {} failed unexpectedly", ids, c.getIndex(), f);
        log.line(ActivityLogTemplate.FAILED, (System.nanoTime() - start) / 1_000_000.0);
        report.setOk(false).setMessage(message);
        ok = false;
        LOG.warn("{}: command {} failed: {}", ids, c.getIndex(), message);
      }
      report.addAllLogs(log.lines()).setCpuTimeUs(commandCpuMicros.get());
      boolean proceed;
      try {
        proceed = blocking.withDeadlineAfter(config.callTimeout().toMillis(), TimeUnit.MILLISECONDS).reportResult(report.build()).getProceed();
      } catch (StatusRuntimeException e) {
        LOG.warn("{}: could not report command {}: {}; abandoning the script", ids, c.getIndex(), GatewayException.of(e).toString());
        return;
      }
      if (!ok || !proceed) return;
    }
  }

  private Outcome execute(Session s, Script script, Command c, ActivityLog log) throws Failed, InterruptedException {
    String activity = script.getActivityId();
    switch (c.getCommandCase()) {
      case DEPLOY -> {
        var d = c.getDeploy();
        ModelSpec spec;
        try {
          spec = NodeJson.read(d.getModelSpecJson(), ModelSpec.class, "model_spec_json");
        } catch (FedGridException e) {
          throw new Failed("the model spec cannot be read: " + e.getMessage());
        }
        DatasetLoader.Loaded dataset = dataset(s, d.getDatasetId());
        ParameterLayout layout;
        try {
          layout = spec.parameterLayout(dataset.metadata().featureShape());
        } catch (FedGridException e) {
          throw new Failed("the model does not fit dataset " + d.getDatasetId() + ": " + e.getMessage());
        }
        Parameters p = d.getParameters() == ParameterSource.PARAMETER_SOURCE_JOB ? fetch(script, c.getIndex(), layout, log) : Initializers.initialize(layout, d.getSeed());
        deployed.put(activity, new Deployed(spec, dataset, layout, p, false));
        log.line(ActivityLogTemplate.DEPLOYED, p.values().length, dataset.metadata().featureShape().stream().mapToInt(Integer::intValue).reduce(1, (a, b) -> a * b));
        return new Outcome("deployed a model of " + p.values().length + " parameters", Map.of("parameters", (double) p.values().length), digest(p));
      }
      case START -> {
        Deployed d = model(activity);
        deployed.put(activity, new Deployed(d.spec(), d.dataset(), d.layout(), d.parameters(), true));
        log.line(ActivityLogTemplate.STARTED, d.dataset().train().rows(), d.dataset().test().rows());
        return new Outcome("started", Map.of("trainExamples", (double) d.dataset().train().rows(), "testExamples", (double) d.dataset().test().rows()), "");
      }
      case RUN -> {
        var r = c.getRun();
        Deployed d = model(activity);
        if (!d.started()) throw new Failed("the model is deployed but not started; run start first");
        DatasetLoader.Loaded dataset = r.getDatasetId().isEmpty() ? d.dataset() : dataset(s, r.getDatasetId());
        try {
          TensorCodec.checkLayout(d.layout(), d.spec().parameterLayout(dataset.metadata().featureShape()));
        } catch (FedGridException e) {
          throw new Failed("the deployed model does not fit dataset " + r.getDatasetId() + ": " + e.getMessage());
        }
        TrainingConfig training;
        try {
          training = NodeJson.read(r.getTrainingConfigJson(), TrainingConfig.class, "training_config_json");
        } catch (FedGridException e) {
          throw new Failed("the training settings cannot be read: " + e.getMessage());
        }
        FeatureScaling scaling = r.getStandardize() && !dataset.metadata().features().isEmpty()
            ? FeatureStats.pool(List.of(dataset.metadata().features())) : FeatureScaling.identity();
        long start = System.nanoTime();
        var values = new TreeMap<String, Double>();
        Map<String, Double> metrics;
        if (r.getKind() == RunKind.RUN_KIND_FIT) {
          FitResult f = onEngine(() -> engine.fit(d.spec(), d.parameters(), dataset.train(), scaling, training, 0));
          int bad = f.parameters().firstNonFinite();
          if (bad >= 0) throw new Failed("training diverged: parameter " + bad + " is NaN or infinite; lower the learning rate");
          deployed.put(activity, d.with(f.parameters()));
          log.line(ActivityLogTemplate.FIT_DONE, f.examples(), training.epochs(), (System.nanoTime() - start) / 1_000_000);
          values.put("examples", (double) f.examples());
          values.put("epochs", (double) training.epochs());
          metrics = f.metrics();
        } else if (r.getKind() == RunKind.RUN_KIND_EVALUATE) {
          if (dataset.test().rows() == 0) throw new Failed("the dataset has no test split to evaluate on; restart the node with test=0.2 in its --dataset option");
          EvalResult e = onEngine(() -> engine.evaluate(d.spec(), d.parameters(), dataset.test(), scaling));
          log.line(ActivityLogTemplate.EVALUATED, e.examples(), (System.nanoTime() - start) / 1_000_000);
          values.put("examples", (double) e.examples());
          metrics = e.metrics();
        } else {
          throw new Failed("the node does not know run kind " + r.getKind() + "; upgrade the node");
        }
        for (var m : metrics.entrySet()) {
          if (m.getValue() != null && Double.isFinite(m.getValue()) && m.getKey().matches("[A-Za-z][A-Za-z0-9_]{0,31}")) values.put(m.getKey(), m.getValue());
        }
        if (values.containsKey("loss")) log.line(ActivityLogTemplate.METRIC_LOSS, values.get("loss"));
        if (values.containsKey("accuracy")) log.line(ActivityLogTemplate.METRIC_ACCURACY, values.get("accuracy"));
        boolean fit = r.getKind() == RunKind.RUN_KIND_FIT;
        return new Outcome((fit ? "fit " : "evaluated ") + values.get("examples").longValue() + " examples", values, digest(deployed.get(activity).parameters()));
      }
      case TRANSFER -> {
        var t = c.getTransfer();
        Deployed d = model(activity);
        if (t.getFrom() == Endpoint.ENDPOINT_JOB && t.getTo() == Endpoint.ENDPOINT_ACTIVITY) {
          Parameters p = fetch(script, c.getIndex(), d.layout(), log);
          deployed.put(activity, d.with(p));
          return new Outcome("loaded the job's parameters", Map.of("parameters", (double) p.values().length), digest(p));
        }
        if (t.getFrom() == Endpoint.ENDPOINT_ACTIVITY && t.getTo() == Endpoint.ENDPOINT_GATEWAY) {
          byte[] bytes = TensorCodec.encode(d.parameters());
          String digest = sha256(bytes);
          String received = push(script, c.getIndex(), bytes);
          if (!received.equals(digest)) throw new Failed("the gateway received other parameters than were sent (digest mismatch)");
          log.line(ActivityLogTemplate.PARAMETERS_SENT, d.parameters().values().length, bytes.length);
          return new Outcome("sent the parameters to the gateway", Map.of("parameters", (double) d.parameters().values().length, "bytes", (double) bytes.length), digest);
        }
        throw new Failed("the node cannot transfer from " + t.getFrom() + " to " + t.getTo());
      }
      case TERMINATE -> {
        deployed.remove(activity);
        log.line(ActivityLogTemplate.TERMINATED);
        return new Outcome("terminated", Map.of(), "");
      }
      default -> throw new Failed("the node does not know this command; upgrade the node");
    }
  }

  private Deployed model(String activity) throws Failed {
    Deployed d = deployed.get(activity);
    if (d == null) throw new Failed("no model is deployed in this activity on this node (deploy first; a node restart forgets deployed models)");
    return d;
  }

  private static DatasetLoader.Loaded dataset(Session s, String id) throws Failed {
    DatasetLoader.Loaded d;
    try {
      d = s.datasets().get(DatasetId.of(id));
    } catch (FedGridException e) {
      throw new Failed("bad dataset id: " + e.getMessage());
    }
    if (d == null) throw new Failed("dataset " + id + " is not hosted by this node (or was not loaded at its start)");
    return d;
  }

  @FunctionalInterface
  private interface Work<T> {
    T run() throws Exception;
  }

  /**
   * Runs engine work on the engine thread, adding the CPU time that thread spent on it to the
   * command's ({@link TaskRunner#cpuTimed}: the gateway bills it, and work on other threads is not
   * counted, so the node never reports more than it spent).
   */
  private <T> T onEngine(Work<T> work) throws Failed, InterruptedException {
    Future<T> future = engineThreads.submit(() -> {
      var timed = TaskRunner.cpuTimed(work::run).call();
      commandCpuMicros.addAndGet(timed.cpuMicros());
      return timed.result();
    });
    try {
      return future.get(MAX_RUN.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new Failed("the run did not finish within " + MAX_RUN.toMinutes() + " minutes; train fewer epochs");
    } catch (InterruptedException e) {
      future.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof TrainingException || cause instanceof FedGridException) throw new Failed(cause.getMessage()); // safe to share by contract
      LOG.warn("the training engine failed", cause);
      throw new Failed("the run failed with an internal error (" + cause.getClass().getSimpleName() + "); the node's log has details");
    }
  }

  /** Streams the job's parameters for command {@code index} and decodes them into {@code layout}. */
  private Parameters fetch(Script script, int index, ParameterLayout layout, ActivityLog log) throws Failed {
    var request = FetchParametersRequest.newBuilder().setActivityId(script.getActivityId()).setBatchId(script.getBatchId()).setIndex(index).build();
    var out = new ByteArrayOutputStream();
    try {
      Iterator<ParameterChunk> chunks = blocking.withDeadlineAfter(config.callTimeout().multipliedBy(4).toMillis(), TimeUnit.MILLISECONDS).fetchParameters(request);
      long total = -1;
      while (chunks.hasNext()) {
        ParameterChunk c = chunks.next();
        if (total < 0) total = c.getTotalSize();
        if (c.getTotalSize() != total || total < 1 || total > MAX_PARAMETER_BYTES || c.getOffset() != out.size() || out.size() + c.getData().size() > total) {
          throw new Failed("the gateway sent a malformed parameter stream");
        }
        c.getData().writeTo(out);
      }
      if (out.size() != total) throw new Failed("the parameter stream ended after " + out.size() + " bytes");
    } catch (StatusRuntimeException e) {
      GatewayException g = GatewayException.of(e);
      throw new Failed("could not fetch the job's parameters: " + g.code() + ": " + g.getMessage());
    } catch (java.io.IOException e) {
      throw new Failed("could not buffer the job's parameters");
    }
    Parameters p;
    try {
      p = TensorCodec.decode(out.toByteArray(), layout);
    } catch (FedGridException e) {
      throw new Failed("the job's parameters do not fit the deployed model: " + e.getMessage());
    }
    log.line(ActivityLogTemplate.PARAMETERS_LOADED, p.values().length, out.size());
    return p;
  }

  /** Streams {@code bytes} to the gateway for command {@code index}; returns the digest it computed. */
  private String push(Script script, int index, byte[] bytes) throws Failed, InterruptedException {
    var result = new CompletableFuture<PushParametersResponse>();
    StreamObserver<ParameterChunk> upload = async.withDeadlineAfter(config.callTimeout().multipliedBy(4).toMillis(), TimeUnit.MILLISECONDS)
        .pushParameters(new StreamObserver<>() {
          @Override
          public void onNext(PushParametersResponse value) {
            result.complete(value);
          }

          @Override
          public void onError(Throwable t) {
            result.completeExceptionally(t);
          }

          @Override
          public void onCompleted() {
            result.completeExceptionally(new IllegalStateException("the gateway answered nothing"));
          }
        });
    for (int offset = 0; offset < bytes.length; offset += CHUNK_BYTES) {
      int n = Math.min(CHUNK_BYTES, bytes.length - offset);
      upload.onNext(ParameterChunk.newBuilder().setActivityId(script.getActivityId()).setBatchId(script.getBatchId()).setIndex(index).setOffset(offset)
          .setTotalSize(bytes.length).setData(ByteString.copyFrom(bytes, offset, n)).build());
    }
    upload.onCompleted();
    try {
      return result.get(config.callTimeout().multipliedBy(4).toMillis(), TimeUnit.MILLISECONDS).getParametersDigest();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof StatusRuntimeException s) {
        GatewayException g = GatewayException.of(s);
        throw new Failed("could not send the parameters: " + g.code() + ": " + g.getMessage());
      }
      throw new Failed("could not send the parameters: " + e.getCause().getClass().getSimpleName());
    } catch (TimeoutException e) {
      throw new Failed("the gateway did not confirm the parameters in time");
    }
  }

  private static String digest(Parameters p) {
    return sha256(TensorCodec.encode(p));
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
