package dev.fedgrid.bench;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.SecureAggregation;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.strategy.SecureInput;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.core.round.RoundListener;
import dev.fedgrid.core.round.RoundPlan;
import dev.fedgrid.core.round.SecAggPlan;
import dev.fedgrid.core.secagg.SecAggConfig;
import dev.fedgrid.core.secagg.SecAggStage;
import dev.fedgrid.ml.DjlTrainingEngine;
import dev.fedgrid.sim.CsvSimulation;
import dev.fedgrid.sim.FaultPlan;
import dev.fedgrid.sim.Population;
import dev.fedgrid.sim.SimRound;
import dev.fedgrid.sim.Simulation;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One simulated round of 10,000 clients under secure aggregation (SecAgg+) at d = 101,770: the MLP
 * 784-128-10 on Fashion-MNIST, every client of a 10,000-client population taking part, and the same
 * round without secure aggregation in the same run as the baseline.
 *
 * <p>Both rounds: the training images split IID between the clients (6 each at 10,000 clients; a
 * Dirichlet(0.5) label-skew split of 60,000 rows into 10,000 non-empty parts is refused by the
 * partitioner as too unlikely), 1 epoch of local training (batch 32, SGD lr 0.02, momentum 0.9), FedAvg, every
 * client then evaluating the new model on 16 test images. The secure round uses {@code fedgrid
 * sim}'s defaults for SecAgg+ (k chosen from n, threshold a strict majority of k + 1, range 1, 16
 * bits). Per stage of the secure round it records the wall time between the round driver's events;
 * heap: in use after a full collection before each run, when stage 1 closed (every client then
 * holds its prepared input) and when stage 3 closed (the masked inputs are in the sum; the
 * collections' own time is subtracted from the stage after each and from the total), and after
 * the round; and the most heap in use sampled every 20 ms during the round, garbage included. An untimed warm-up of both kinds at 200 clients runs first. Also reports the largest
 * difference between the two rounds' global models, which quantization bounds.
 *
 * <pre>
 *   java -Xmx10g -XX:ActiveProcessorCount=2 --enable-native-access=ALL-UNNAMED \
 *     -cp "fedgrid-bench/target/fedgrid-bench-0.1.0-SNAPSHOT.jar:fedgrid-bench/target/lib/*" \
 *     dev.fedgrid.bench.SimSecAggScaleBenchmark [--clients 10000] [--engines 2] [--no-baseline] [--out PATH]
 * </pre>
 *
 * Writes {@code fedgrid-bench/target/reports/sim-secagg-scale.md}; needs Fashion-MNIST (exits 2 with
 * how to get it otherwise). Not thread-safe.
 */
public final class SimSecAggScaleBenchmark {
  private static final int EVAL_ROWS = 16;
  private static final int WARMUP_CLIENTS = 200;
  private static final List<SecAggStage> STAGES = List.of(SecAggStage.ADVERTISE_KEYS, SecAggStage.SHARE_KEYS, SecAggStage.MASKED_INPUT, SecAggStage.UNMASKING);

  private SimSecAggScaleBenchmark() {}

  /**
   * One measured run of one round.
   *
   * @param stageMillis for the secure round, wall time from the participants' draw to stage 1's
   *     close, then of each later stage, then from stage 4's close to the round's end (evaluation);
   *     empty for the plain round
   * @param heapAtKeys heap in use after a full collection when stage 1 closed, or -1
   * @param heapAtInputs the same when stage 3 closed (every masked input is in the sum), or -1
   * @param gcMillis the time of those collections, subtracted from the stages after them and the total
   * @param peakHeap the most heap in use, garbage included, sampled every 20 ms during the round
   * @param config the secure round's SecAgg+ configuration, as the round driver derives it; null
   *     for the plain round
   */
  record Result(String label, boolean secure, int clients, int length, SimRound round, long wallMillis, Map<String, Long> stageMillis, long heapBefore,
      long heapAtKeys, long heapAtInputs, long gcMillis, long heapAfter, long peakHeap, SecAggConfig config, float[] parameters) {}

  public static void main(String[] args) throws Exception {
    int clients = 10_000;
    int engines = Runtime.getRuntime().availableProcessors();
    boolean baseline = true;
    Path out = Path.of("fedgrid-bench/target/reports/sim-secagg-scale.md");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--clients" -> clients = Integer.parseInt(args[++i]);
        case "--engines" -> engines = Integer.parseInt(args[++i]);
        case "--no-baseline" -> baseline = false;
        case "--out" -> out = Path.of(args[++i]);
        default -> {
          System.err.println("unknown option " + args[i] + "; see the class javadoc");
          System.exit(2);
        }
      }
    }
    if (clients < WARMUP_CLIENTS) {
      System.err.println("--clients must be at least " + WARMUP_CLIENTS + " (the warm-up's size), got " + clients);
      System.exit(2);
    }
    var results = new ArrayList<Result>();
    long start;
    try (var engine = DjlTrainingEngine.create(engines)) {
      var fmnist = FashionMnistSim.load(engine, FashionMnistSim.TRAINING);
      ModelSpec model = fmnist.model("mlp:128");
      run("warm-up, plain (not reported)", false, WARMUP_CLIENTS, fmnist, model, engine);
      run("warm-up, SecAgg+ (not reported)", true, WARMUP_CLIENTS, fmnist, model, engine);
      start = System.nanoTime();
      if (baseline) results.add(run("baseline: plain FedAvg", false, clients, fmnist, model, engine));
      results.add(run("SecAgg+ FedAvg", true, clients, fmnist, model, engine));
    }
    long seconds = (System.nanoTime() - start) / 1_000_000_000;
    String report = render(results, engines, seconds, String.join(" ", args));
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, report);
    System.out.println(report);
    System.out.println("Report written to " + out.toAbsolutePath());
  }

  private static Result run(String label, boolean secure, int clients, FashionMnistSim fmnist, ModelSpec model, DjlTrainingEngine engine)
      throws InterruptedException {
    System.err.printf(Locale.ROOT, "== %s: %,d clients%n", label, clients);
    var spec = new JobSpec("sim-secagg-scale", List.of("fashion-mnist"), model, FashionMnistSim.TRAINING, new StrategyConfig.FedAvg(), 1, 2, 3600, false,
        FashionMnistSim.PIXELS, null, 1.0, null, null, secure ? SecureAggregation.secAggPlus() : null);
    long heapBefore = heapAfterGc();
    Simulation sim = CsvSimulation.of(spec, fmnist.data(), Population.Split.IID, 0, 0, 0, clients, FaultPlan.none(), engine, EVAL_ROWS,
        FashionMnistSim.SEED);
    var listener = new StageTimer();
    var rounds = new ArrayList<SimRound>();
    var peakSampler = new PeakSampler();
    long t0 = System.nanoTime();
    try {
      sim.run(rounds::add, listener);
    } finally {
      peakSampler.stop();
    }
    long end = System.nanoTime();
    long peak = peakSampler.peak;
    long heapAfter = heapAfterGc();
    SimRound round = rounds.getFirst();
    long gcMillis = (listener.gcNanos[0] + listener.gcNanos[1]) / 1_000_000;
    var stages = new LinkedHashMap<String, Long>();
    if (secure && listener.closed.size() == STAGES.size()) {
      long previous = listener.started;
      for (int i = 0; i < STAGES.size(); i++) {
        long at = listener.closed.get(i);
        long ms = (at - previous) / 1_000_000 - (i == 1 ? listener.gcNanos[0] / 1_000_000 : i == 3 ? listener.gcNanos[1] / 1_000_000 : 0);
        stages.put(i == 0 ? "training and stage 1 (keys)" : "stage " + (i + 1) + " (" + STAGES.get(i).name().toLowerCase(Locale.ROOT).replace('_', ' ') + ")", ms);
        previous = at;
      }
      stages.put("evaluation and round end", (end - previous) / 1_000_000);
    }
    long wall = (end - t0) / 1_000_000 - gcMillis;
    float[] parameters = sim.parameters().values();
    System.err.printf(Locale.ROOT, "  %s, %,d updates, %.2f s, heap at stage 1 close %.1f MB, at stage 3 close %.1f MB, peak %.1f MB, after %.1f MB, accuracy %.4f, stages %s%n",
        round.outcome(),
        round.updates(), wall / 1000.0, listener.heapAtKeys / 1048576.0, listener.heapAtInputs / 1048576.0, peak / 1048576.0, heapAfter / 1048576.0,
        round.evalMetrics().getOrDefault("accuracy", Double.NaN), stages);
    // the configuration RoundDriver derives for the round (EngineWork's maxExamples of a split population: the training rows)
    SecAggConfig config = secure
        ? new SecAggPlan(spec.secureAggregation(), fmnist.data().train().rows()).config(round.sampled(), parameters.length, new SecureInput.WeightedMean())
        : null;
    return new Result(label, secure, clients, parameters.length, round, wall, stages, heapBefore, listener.heapAtKeys, listener.heapAtInputs, gcMillis, heapAfter,
        peak, config, parameters);
  }

  /** Times the round driver's events; collects and measures the heap once stages 1 and 3 closed. Called on the driving thread only. */
  private static final class StageTimer implements RoundListener {
    long started;
    final List<Long> closed = new ArrayList<>();
    long heapAtKeys = -1;
    long heapAtInputs = -1;
    final long[] gcNanos = new long[2];

    @Override
    public void started(RoundPlan plan, List<NodeId> participants) {
      started = System.nanoTime();
    }

    @Override
    public void secAggStageClosed(RoundPlan plan, SecAggStage stage, int survivors, int selected) {
      closed.add(System.nanoTime());
      if (stage == SecAggStage.ADVERTISE_KEYS || stage == SecAggStage.MASKED_INPUT) {
        long t = System.nanoTime();
        long heap = heapAfterGc();
        int i = stage == SecAggStage.ADVERTISE_KEYS ? 0 : 1;
        gcNanos[i] = System.nanoTime() - t;
        if (i == 0) heapAtKeys = heap;
        else heapAtInputs = heap;
      }
    }
  }

  /** Samples the heap in use every 20 ms on a daemon thread of its own until stopped; keeps the largest figure. */
  private static final class PeakSampler {
    private final Thread thread;
    private volatile boolean running = true;
    volatile long peak;

    PeakSampler() {
      var memory = ManagementFactory.getMemoryMXBean();
      thread = Thread.ofPlatform().daemon().name("heap-peak-sampler").start(() -> {
        while (running) {
          peak = Math.max(peak, memory.getHeapMemoryUsage().getUsed());
          try {
            Thread.sleep(20);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
    }

    void stop() throws InterruptedException {
      running = false;
      thread.join();
    }
  }

  private static long heapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private static double mb(long bytes) {
    return bytes < 0 ? Double.NaN : bytes / 1048576.0;
  }

  /** Megabytes with one decimal, or a dash for a figure the run does not have (-1). */
  private static String cell(long bytes) {
    return bytes < 0 ? "–" : String.format(Locale.ROOT, "%.1f", mb(bytes));
  }

  static String render(List<Result> results, int engines, long seconds, String args) {
    var md = new StringBuilder();
    md.append("# Simulator scale under secure aggregation\n\n");
    md.append("Measured ").append(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_LOCAL_DATE))
        .append(" (UTC) by `dev.fedgrid.bench.SimSecAggScaleBenchmark").append(args.isEmpty() ? "" : " " + args).append("` (").append(seconds)
        .append(" s after the warm-up).\n\n");
    Result first = results.getFirst();
    md.append("One JVM, `fedgrid sim`'s code path: the gateway's round driver and FedAvg over the simulator's in-memory fleet, under SecAgg+ the same ")
        .append("`SecAggParticipant` and `SecAggServer` as the grid. One round; all ").append(String.format(Locale.ROOT, "%,d", first.clients()))
        .append(" clients of the population take part. Model: MLP 784-128-10 on Fashion-MNIST, d = ")
        .append(String.format(Locale.ROOT, "%,d", first.length())).append(" parameters. The 60,000 training images are split IID between the clients (")
        .append(60_000 / first.clients()).append(" each); each trains 1 epoch (batch 32, SGD lr 0.02, momentum 0.9) and evaluates the ")
        .append("new model on ").append(EVAL_ROWS).append(" test images. Training shares ").append(engines).append(" DJL engine(s). SecAgg+ with `fedgrid sim`'s ")
        .append("defaults (k chosen from n, threshold a strict majority of k + 1, range 1, 16-bit quantization), no drop-outs. ")
        .append("An untimed warm-up (both kinds, ").append(WARMUP_CLIENTS).append(" clients) runs first.\n\n");
    md.append("Heap: \"before\" is in use after `System.gc()` before the simulation was built; \"at stage 1 close\" after `System.gc()` when ")
        .append("the secure round's stage 1 closed, when every client holds its prepared input, and \"at stage 3 close\" when every masked input ")
        .append("is in the sum and the clients wait for stage 4 (those collections' time is subtracted from the stage after each and from the total); \"after\" after `System.gc()` once the round ended; \"peak\" is the most heap in use sampled every 20 ms during the round, ")
        .append("garbage included, so it follows the collector's sizing more than the live data.\n\n");
    md.append("## Machine\n\n| | |\n|---|---|\n").append(Machine.tableRows());
    md.append("| heap | ").append(Runtime.getRuntime().maxMemory() / 1048576).append(" MiB max |\n\n");
    md.append("## Round\n\n| run | clients | updates | wall (s) | heap before (MB) | heap at stage 1 close (MB) | heap at stage 3 close (MB) | peak heap (MB) | heap after (MB) | accuracy |\n");
    md.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Result r : results) {
      md.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %.2f | %.1f | %s | %s | %.1f | %.1f | %.4f |%n", r.label(), r.clients(), r.round().updates(),
          r.wallMillis() / 1000.0, mb(r.heapBefore()), cell(r.heapAtKeys()), cell(r.heapAtInputs()), mb(r.peakHeap()), mb(r.heapAfter()),
          r.round().evalMetrics().getOrDefault("accuracy", Double.NaN)));
    }
    Result plain = results.stream().filter(r -> !r.secure()).findFirst().orElse(null);
    Result secure = results.stream().filter(Result::secure).findFirst().orElse(null);
    if (plain != null && secure != null) {
      md.append(String.format(Locale.ROOT, "%nSecAgg+ round / plain round: **%.1f×** wall time.%n", secure.wallMillis() / (double) Math.max(1, plain.wallMillis())));
      double maxDiff = 0;
      for (int i = 0; i < plain.parameters().length; i++) maxDiff = Math.max(maxDiff, Math.abs(plain.parameters()[i] - secure.parameters()[i]));
      md.append(String.format(Locale.ROOT, "Largest difference between the two rounds' global models: %.3g (quantization step 2 / (2^16 - 1) = %.3g).%n",
          maxDiff, 2.0 / 65535));
    } else {
      md.append("\nNo baseline in this run (`--no-baseline`).\n");
    }
    if (secure != null && !secure.stageMillis().isEmpty()) {
      md.append("\n## Stages of the SecAgg+ round\n\n| stage | wall (s) | share of the round |\n|---|---:|---:|\n");
      for (var e : secure.stageMillis().entrySet()) {
        md.append(String.format(Locale.ROOT, "| %s | %.2f | %.0f %% |%n", e.getKey(), e.getValue() / 1000.0, 100.0 * e.getValue() / Math.max(1, secure.wallMillis())));
      }
      md.append(String.format(Locale.ROOT, "%nThe measuring collections at stage 1's and stage 3's close took %.2f s together (subtracted). ", secure.gcMillis() / 1000.0));
      md.append("The first row runs from the participants' draw; sampling before it is part of the total only.\n");
      SecAggConfig c = secure.config();
      md.append(String.format(Locale.ROOT, "%nSecAgg+ configuration of the round: n = %,d, k = %d neighbours, threshold t = %d, %d-bit modulus, %d-bit quantization, range %.1f.%n",
          c.clients(), c.neighbours(), c.threshold(), c.modulusBits(), c.quantizationBits(), c.clip()));
    }
    return md.toString();
  }
}
