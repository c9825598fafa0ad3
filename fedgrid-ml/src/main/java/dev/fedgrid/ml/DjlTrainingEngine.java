package dev.fedgrid.ml;

import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TrainingConfig;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@link TrainingEngine} on DJL 0.35 with PyTorch 2.7 (CPU): builds each {@link ModelSpec} as a
 * DJL block, trains it with a plain mini-batch loop (SGD with momentum or Adam, optional FedProx
 * proximal term) and evaluates it.
 *
 * <p>Create one per process with {@link #create()}; the first one starts PyTorch (the first start
 * on a machine also unpacks its native library into the shared cache, see {@link
 * #cacheDirectory()}). JVM flags: {@code --enable-native-access=ALL-UNNAMED}; {@code
 * -Dai.djl.offline=true} is set by the engine when absent. Each fit or evaluation uses one PyTorch
 * intra-op thread ({@code ai.djl.pytorch.num_threads=1} unless set before the first engine is
 * created).
 *
 * <p>Thread-safe. Calls run on the engine's own pool of {@code parallelism} platform threads, so
 * any thread, virtual ones included, may call concurrently: at most {@code parallelism} tasks train
 * at once, each with its own model and native memory, and the others wait their turn. PyTorch keeps
 * per-OS-thread state (grad mode) that a virtual thread could lose when it moves between carriers;
 * the pool keeps each task on one thread. Interrupting a caller stops its task at the next batch.
 */
public final class DjlTrainingEngine implements TrainingEngine {
  private static final AtomicInteger ENGINES = new AtomicInteger();

  private final ExecutorService workers;
  private final int parallelism;

  private DjlTrainingEngine(int parallelism) {
    this.parallelism = parallelism;
    int id = ENGINES.incrementAndGet();
    var count = new AtomicInteger();
    ThreadFactory factory = r -> {
      Thread t = new Thread(r, "fedgrid-train-" + id + "-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
    this.workers = Executors.newFixedThreadPool(parallelism, factory);
  }

  /**
   * An engine that runs as many tasks at once as the machine has cores.
   *
   * @throws TrainingException when PyTorch cannot start
   */
  public static DjlTrainingEngine create() {
    return create(Runtime.getRuntime().availableProcessors());
  }

  /**
   * An engine that runs at most {@code parallelism} tasks at once.
   *
   * @throws IllegalArgumentException when {@code parallelism < 1}
   * @throws TrainingException when PyTorch cannot start
   */
  public static DjlTrainingEngine create(int parallelism) {
    if (parallelism < 1) throw new IllegalArgumentException("parallelism must be at least 1, got " + parallelism);
    DjlRuntime.engine();
    return new DjlTrainingEngine(parallelism);
  }

  /**
   * The cache shared by every FedGrid process of this user, where PyTorch's native library is
   * unpacked (under {@code djl/}): the system property {@code fedgrid.cache.dir}, else the
   * environment variable {@code FEDGRID_CACHE_DIR}, else {@code ~/.fedgrid/cache}.
   */
  public static Path cacheDirectory() {
    return DjlRuntime.cacheDirectory();
  }

  /** How many tasks this engine runs at once. */
  public int parallelism() {
    return parallelism;
  }

  @Override
  public FitResult fit(
      ModelSpec spec, Parameters global, LocalData data, FeatureScaling scaling, TrainingConfig config, double proximalMu) {
    requireAll(spec, global, data, scaling);
    TrainingConfig cfg = config == null ? TrainingConfig.defaults() : config;
    return run(() -> new DjlTask(spec, global, data, scaling, "train").fit(cfg, proximalMu));
  }

  @Override
  public EvalResult evaluate(ModelSpec spec, Parameters parameters, LocalData data, FeatureScaling scaling) {
    requireAll(spec, parameters, data, scaling);
    return run(() -> new DjlTask(spec, parameters, data, scaling, "evaluate").evaluate());
  }

  /**
   * Stops accepting tasks, cancels waiting ones, interrupts running ones and waits up to 10 s for
   * them to end; their callers get a {@link TrainingException}.
   */
  @Override
  public void close() {
    for (Runnable waiting : workers.shutdownNow()) {
      if (waiting instanceof Future<?> f) f.cancel(false);
    }
    try {
      workers.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private <T> T run(Callable<T> task) {
    if (Thread.currentThread().isInterrupted()) throw new TrainingException("interrupted before the task started");
    Future<T> future;
    try {
      future = workers.submit(task);
    } catch (RejectedExecutionException e) {
      throw new TrainingException("the training engine is closed; create a new one", e);
    }
    try {
      return future.get();
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new TrainingException("interrupted", e);
    } catch (CancellationException e) {
      throw new TrainingException("interrupted: the training engine was closed", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof TrainingException t) throw new TrainingException(t.getMessage(), t);
      throw new TrainingException("training failed unexpectedly (" + cause.getClass().getSimpleName() + ": " + cause.getMessage() + ")", cause);
    }
  }

  private static void requireAll(Object... arguments) {
    for (Object a : arguments) Objects.requireNonNull(a, "an argument of fit/evaluate is null");
  }
}
