package dev.fedgrid.bench;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.cli.DemoCommand;
import dev.fedgrid.cli.DemoData;
import dev.fedgrid.client.ModelPresets;
import dev.fedgrid.ml.IdxDatasetReader;
import dev.fedgrid.ml.IdxOptions;
import dev.fedgrid.ml.LocalDataset;
import dev.fedgrid.ml.TrainingEngine;
import dev.fedgrid.sim.CsvSimulation;
import dev.fedgrid.sim.FaultPlan;
import dev.fedgrid.sim.Population;
import dev.fedgrid.sim.SimRound;
import dev.fedgrid.sim.Simulation;
import dev.fedgrid.sim.VirtualNodes;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * Fashion-MNIST federations run through the simulator ({@code fedgrid sim}'s code path: the
 * gateway's round driver and strategies over the in-memory fleet), shared by {@link
 * AccuracyBenchmark} and {@link RobustnessBenchmark}. Every node takes part in every round; after
 * each round the benchmark itself evaluates the new global model on all 10,000 test images, so the
 * accuracy is that of the whole test split (the nodes do not evaluate). Pixels are scaled by 1/255
 * as the gateway scales IDX data. Not thread-safe.
 */
final class FashionMnistSim {
  /** The seed of the partition, the Byzantine draw and the sample; local training's seed is the demo's (42). */
  static final long SEED = 42;

  /** Local training of the demo and of {@link FashionMnistBenchmark}: 1 epoch, batch 32, SGD lr 0.02, momentum 0.9. */
  static final TrainingConfig TRAINING = DemoCommand.FASHION_MNIST_TRAINING;

  /** {@link #TRAINING} with another number of epochs, learning rate and momentum. */
  static TrainingConfig training(int epochs, double lr, double momentum) {
    return new TrainingConfig(epochs, TRAINING.batchSize(), TRAINING.optimizer(), lr, momentum, TRAINING.seed());
  }

  static final FeatureScaling PIXELS = new FeatureScaling(List.of(0.0), List.of(255.0));

  private final LocalDataset data;
  private final DatasetInfo info;
  private final TrainingEngine engine;
  private final TrainingConfig training;

  private FashionMnistSim(LocalDataset data, TrainingEngine engine, TrainingConfig training) {
    this.data = data;
    this.info = new DatasetInfo(DatasetId.random(), VirtualNodes.id(0), data.metadata(), Instant.EPOCH);
    this.engine = engine;
    this.training = training;
  }

  /**
   * Reads the IDX files the demo finds; exits 2 with how to get them when the machine does not have
   * them.
   *
   * @param training every node's local training
   */
  static FashionMnistSim load(TrainingEngine engine, TrainingConfig training) {
    Path source = DemoData.findFashionMnist().orElse(null);
    if (source == null) {
      System.err.println("Fashion-MNIST is not on this machine: install it with `apt-get install dataset-fashion-mnist` (Debian) or put the four IDX files in "
          + DemoData.FASHION_MNIST_DIRS.getFirst().toAbsolutePath().normalize() + "; benchmark skipped.");
      System.exit(2);
    }
    return new FashionMnistSim(IdxDatasetReader.read(source, IdxOptions.of("fashion-mnist")), engine, training);
  }

  LocalDataset data() {
    return data;
  }

  /** A preset of {@link ModelPresets} ({@code mlp:128}, {@code cnn}) fitted to Fashion-MNIST. */
  ModelSpec model(String preset) {
    return ModelPresets.preset(preset, info);
  }

  /** How the training images are split between the nodes. */
  record Split(Population.Split kind, double alpha, int shards) {
    static final Split IID = new Split(Population.Split.IID, 0, 0);

    static Split dirichlet(double alpha) {
      return new Split(Population.Split.DIRICHLET, alpha, 0);
    }

    static Split shards(int perNode) {
      return new Split(Population.Split.SHARDS, 0, perNode);
    }

    @Override
    public String toString() {
      return switch (kind) {
        case IID -> "IID";
        case DIRICHLET -> "Dirichlet α = " + alpha;
        case SHARDS -> "shards, " + shards + " classes per node";
        case QUANTITY_SKEW -> "quantity skew α = " + alpha;
      };
    }
  }

  /** One simulated run: its rounds and the test accuracy of the global model after each. */
  record Run(String label, List<SimRound> rounds, double[] accuracy, double seconds) {
    OptionalInt firstRoundReaching(double target) {
      for (int i = 0; i < accuracy.length; i++) if (accuracy[i] >= target) return OptionalInt.of(rounds.get(i).round());
      return OptionalInt.empty();
    }

    double last() {
      return accuracy.length == 0 ? Double.NaN : accuracy[accuracy.length - 1];
    }

    double best() {
      double best = Double.NaN;
      for (double a : accuracy) best = Double.isNaN(best) || a > best ? a : best;
      return best;
    }

    /** Rounds that aggregated; fewer than asked when a round could not (too few updates). */
    int completed() {
      return (int) rounds.stream().filter(r -> r.outcome().equals("completed")).count();
    }

    double secondsPerRound() {
      return rounds.isEmpty() ? Double.NaN : seconds / rounds.size();
    }
  }

  /**
   * Runs {@code rounds} rounds with {@code nodes} nodes, all in every round.
   *
   * @param faults the Byzantine nodes and their attack, or {@link FaultPlan#none()}
   */
  Run run(String label, ModelSpec model, StrategyConfig strategy, Split split, int nodes, int rounds, FaultPlan faults) throws InterruptedException {
    return run(label, model, strategy, split, nodes, rounds, faults, training);
  }

  /**
   * As {@link #run(String, ModelSpec, StrategyConfig, Split, int, int, FaultPlan)}, with another
   * local training than the one this simulation was loaded with.
   */
  Run run(String label, ModelSpec model, StrategyConfig strategy, Split split, int nodes, int rounds, FaultPlan faults, TrainingConfig training)
      throws InterruptedException {
    System.err.println("== " + label);
    var spec = new JobSpec("fashion-mnist sim", List.of("fashion-mnist"), model, training, strategy, rounds, nodes, 600, false, PIXELS, null, 1.0);
    Simulation sim = CsvSimulation.of(spec, data, split.kind(), split.alpha(), split.shards(), 0, nodes, faults, engine, 0, SEED);
    var rows = new ArrayList<SimRound>();
    var accuracy = new ArrayList<Double>();
    long start = System.nanoTime();
    sim.run(r -> {
      rows.add(r);
      if (!r.outcome().equals("completed")) {
        System.err.printf(Locale.ROOT, "  round %d/%d: %s%n", r.round(), rounds, r.outcome());
        return;
      }
      double a = engine.evaluate(model, sim.parameters(), data.test(), PIXELS).metrics().getOrDefault("accuracy", Double.NaN);
      accuracy.add(a);
      System.err.printf(Locale.ROOT, "  round %d/%d  accuracy %.4f  %.1f s%n", r.round(), rounds, a, r.wallMillis() / 1000.0);
    });
    double seconds = (System.nanoTime() - start) / 1e9;
    return new Run(label, rows, accuracy.stream().mapToDouble(Double::doubleValue).toArray(), seconds);
  }

  /** {@code 0.8706}, or {@code —} for NaN. */
  static String accuracy(double a) {
    return Double.isNaN(a) ? "—" : String.format(Locale.ROOT, "%.4f", a);
  }
}
