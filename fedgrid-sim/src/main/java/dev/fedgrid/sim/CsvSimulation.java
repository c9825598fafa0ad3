package dev.fedgrid.sim;

import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.core.data.FeatureStats;
import dev.fedgrid.ml.LocalDataset;
import dev.fedgrid.ml.TrainingEngine;
import java.util.List;

/**
 * Wires a {@link Simulation} over a data set loaded in memory: the population's rows, the feature
 * scaling the gateway would choose (pooled column statistics when the spec standardizes), and
 * {@link EngineWork} on a shared engine.
 */
public final class CsvSimulation {
  private CsvSimulation() {}

  /**
   * @param evalRows test rows each evaluating node draws
   */
  public static Simulation of(JobSpec spec, LocalDataset data, Population.Split split, double alpha, int shards, int rowsPerNode, int population,
      FaultPlan faults, TrainingEngine engine, int evalRows, long seed) {
    int[] labels = new int[data.train().rows()];
    for (int i = 0; i < labels.length; i++) labels[i] = Math.max(0, Math.round(data.train().labels()[i]));
    var pop = new Population(population, split, alpha, shards, rowsPerNode, labels, seed);
    FeatureScaling scaling = spec.scaling() != null ? spec.scaling()
        : spec.standardize() && !data.metadata().features().isEmpty() ? FeatureStats.pool(List.of(data.metadata().features())) : FeatureScaling.identity();
    ParameterLayout layout = spec.model().parameterLayout(data.metadata().featureShape());
    var work = new EngineWork(engine, spec.model(), spec.training(), scaling, data.train(), data.test(), pop, evalRows, seed);
    return new Simulation(spec, layout, population, work, faults, seed);
  }
}
