package dev.fedgrid.sim;

import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.core.round.RoundTask;
import dev.fedgrid.ml.EvalResult;
import dev.fedgrid.ml.FitResult;
import dev.fedgrid.ml.LocalData;
import dev.fedgrid.ml.TrainingEngine;
import java.util.SplittableRandom;

/**
 * Real training for virtual nodes: node {@code i} trains on its {@link Population} rows of a data
 * set's training split and evaluates on up to {@code evalRows} rows of its test split drawn from
 * {@code (seed, i)}. One {@link TrainingEngine} serves every node; it runs at most its parallelism
 * of tasks at once and queues the rest, so nodes share a bounded pool of engines. A node's rows are
 * copied out when it is asked to work and dropped afterwards.
 *
 * <p>Thread-safe.
 */
public final class EngineWork implements NodeWork {
  private final TrainingEngine engine;
  private final ModelSpec model;
  private final TrainingConfig training;
  private final FeatureScaling scaling;
  private final LocalData train;
  private final LocalData test;
  private final Population population;
  private final int evalRows;
  private final long seed;

  public EngineWork(TrainingEngine engine, ModelSpec model, TrainingConfig training, FeatureScaling scaling, LocalData train, LocalData test,
      Population population, int evalRows, long seed) {
    this.engine = engine;
    this.model = model;
    this.training = training;
    this.scaling = scaling;
    this.train = train;
    this.test = test;
    this.population = population;
    this.evalRows = evalRows;
    this.seed = seed;
  }

  @Override
  public FitResult fit(int node, RoundTask task) {
    return engine.fit(model, task.start(), slice(train, population.rows(node)), scaling, training, task.proximalMu());
  }

  @Override
  public EvalResult evaluate(int node, RoundTask task) {
    var r = new SplittableRandom(Seeds.mix(seed ^ 0x5L, node, 11));
    int[] rows = new int[Math.min(evalRows, test.rows())];
    for (int i = 0; i < rows.length; i++) rows[i] = r.nextInt(test.rows());
    return engine.evaluate(model, task.start(), slice(test, rows), scaling);
  }

  /** A split population's nodes hold disjoint subsets of the training rows; a lazy one's draw with replacement. */
  @Override
  public long maxExamples() {
    return population.lazy() ? NodeWork.super.maxExamples() : Math.max(1, train.rows());
  }

  @Override
  public boolean evaluates(int node) {
    return test.rows() > 0 && evalRows > 0;
  }

  /** The given rows of {@code data}, copied. */
  static LocalData slice(LocalData data, int[] rows) {
    int w = data.width();
    float[] features = new float[rows.length * w];
    float[] labels = new float[rows.length];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(data.features(), rows[i] * w, features, i * w, w);
      labels[i] = data.labels()[rows[i]];
    }
    return new LocalData(data.featureShape(), features, labels, rows.length);
  }
}
