package dev.fedgrid.api.job;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.strategy.StrategyConfig;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a data scientist asks for: train {@code model} on the datasets named in {@code datasets}
 * for {@code rounds} rounds with {@code strategy}. Fields left {@code null} in JSON take their
 * defaults.
 *
 * @param name a label for people (default {@code "job"})
 * @param datasets dataset names or ids ({@code ds_...}); every online node holding one of them
 *     takes part. On submission the gateway replaces the names with the ids of the datasets they
 *     matched, and the job runs on exactly those: access and privacy budgets are checked for them,
 *     so a dataset registered later under the same name cannot join unchecked
 * @param model the model spec
 * @param training local training settings (defaults: see {@link TrainingConfig})
 * @param strategy the aggregation strategy (default FedAvg)
 * @param rounds number of rounds (default 10)
 * @param minNodes fewest nodes a round may run with; the job waits in the queue until that many
 *     are free, and fails if a round ends with fewer updates (default 2)
 * @param roundTimeoutSeconds deadline of each round's fit and evaluate phase (default 300)
 * @param standardize whether tabular features are standardized with the pooled statistics
 *     (default true)
 * @param scaling the feature scaling nodes apply; when {@code null} the gateway fills it in at
 *     submission (pooled column statistics when {@code standardize}, {@code x/255} for images,
 *     identity otherwise) and stores it with the job so a resumed job scales the same way
 * @param privacy central differential privacy (DP-FedAvg, which needs the fedavg strategy), or
 *     {@code null} for none (the default)
 */
public record JobSpec(
    String name,
    List<String> datasets,
    ModelSpec model,
    TrainingConfig training,
    StrategyConfig strategy,
    Integer rounds,
    Integer minNodes,
    Integer roundTimeoutSeconds,
    Boolean standardize,
    FeatureScaling scaling,
    DifferentialPrivacy privacy) {
  public static final int MAX_ROUNDS = 100_000;
  public static final int MAX_DATASETS = 1000;
  private static final Pattern NAME = Pattern.compile("[\\p{L}\\p{N} _.:/()-]{1,128}");

  /** A spec without differential privacy whose scaling the gateway fills in. */
  public JobSpec(
      String name,
      List<String> datasets,
      ModelSpec model,
      TrainingConfig training,
      StrategyConfig strategy,
      Integer rounds,
      Integer minNodes,
      Integer roundTimeoutSeconds,
      Boolean standardize) {
    this(name, datasets, model, training, strategy, rounds, minNodes, roundTimeoutSeconds, standardize, null, null);
  }

  /** This spec on exactly these datasets (names or ids). */
  public JobSpec withDatasets(List<String> resolved) {
    return new JobSpec(name, resolved, model, training, strategy, rounds, minNodes, roundTimeoutSeconds, standardize, scaling, privacy);
  }

  /** This spec with its scaling resolved. */
  public JobSpec withScaling(FeatureScaling resolved) {
    return new JobSpec(name, datasets, model, training, strategy, rounds, minNodes, roundTimeoutSeconds, standardize, resolved, privacy);
  }

  public JobSpec {
    name = name == null ? "job" : name.strip();
    if (!NAME.matcher(name).matches()) {
      throw new InvalidRequestException("INVALID_JOB", "a job name must be 1 to 128 letters, digits, spaces or _.:/()-");
    }
    if (datasets == null || datasets.isEmpty()) {
      throw new InvalidRequestException("INVALID_JOB", "a job needs at least one dataset name or id");
    }
    if (datasets.size() > MAX_DATASETS) {
      throw new InvalidRequestException("INVALID_JOB", "a job may name at most " + MAX_DATASETS + " datasets");
    }
    for (String d : datasets) {
      if (d == null || d.isBlank() || d.length() > 64) throw new InvalidRequestException("INVALID_JOB", "dataset '" + d + "' is not a dataset name or id");
    }
    datasets = List.copyOf(datasets);
    if (model == null) throw new InvalidRequestException("INVALID_JOB", "a job needs a model spec");
    training = training == null ? TrainingConfig.defaults() : training;
    strategy = strategy == null ? new StrategyConfig.FedAvg() : strategy;
    rounds = rounds == null ? 10 : rounds;
    minNodes = minNodes == null ? 2 : minNodes;
    roundTimeoutSeconds = roundTimeoutSeconds == null ? 300 : roundTimeoutSeconds;
    standardize = standardize == null ? Boolean.TRUE : standardize;
    if (rounds < 1 || rounds > MAX_ROUNDS) {
      throw new InvalidRequestException("INVALID_JOB", "rounds must be in [1, " + MAX_ROUNDS + "], got " + rounds);
    }
    if (minNodes < 1 || minNodes > 100_000) {
      throw new InvalidRequestException("INVALID_JOB", "minNodes must be in [1, 100000], got " + minNodes);
    }
    if (minNodes < strategy.minimumUpdates()) {
      throw new InvalidRequestException(
          "INVALID_JOB",
          strategy.name() + " as configured needs at least " + strategy.minimumUpdates() + " updates per round, but minNodes is "
              + minNodes + "; raise --min-nodes to " + strategy.minimumUpdates() + " or tolerate fewer Byzantine nodes");
    }
    if (roundTimeoutSeconds < 1 || roundTimeoutSeconds > 86_400) {
      throw new InvalidRequestException("INVALID_JOB", "roundTimeoutSeconds must be in [1, 86400], got " + roundTimeoutSeconds);
    }
    if (privacy != null) checkPrivacy(privacy, strategy, minNodes);
  }

  /**
   * DP-FedAvg replaces the weighted mean of FedAvg, so other strategies are refused. Adaptive
   * clipping spends part of the noise on the count of unclipped updates, with standard deviation
   * {@code m / 20} for {@code m} nodes in a round (Andrew et al. 2021); that must exceed {@code z /
   * 2}, so every round needs more than {@code 10 z} nodes.
   */
  private static void checkPrivacy(DifferentialPrivacy privacy, StrategyConfig strategy, int minNodes) {
    if (!(strategy instanceof StrategyConfig.FedAvg)) {
      throw new InvalidRequestException(
          "INVALID_PRIVACY",
          "differential privacy currently works with fedavg; central DP here is DP-FedAvg (McMahan et al. 2018), which replaces the "
              + "weighted mean with a clipped, noised one, so it cannot be combined with " + strategy.name()
              + ". Use --strategy fedavg or leave out --dp-noise",
          Map.of("strategy", strategy.name()));
    }
    double z = privacy.noiseMultiplier();
    if (privacy.adaptiveClipping() && minNodes <= 10 * z) {
      int needed = (int) Math.floor(10 * z) + 1;
      throw new InvalidRequestException(
          "INVALID_PRIVACY",
          "adaptive clipping with noise multiplier " + z + " needs at least " + needed + " nodes per round (its clip count is noised with "
              + "standard deviation nodes/20, which must exceed half the noise multiplier), but minNodes is " + minNodes
              + "; raise --min-nodes to " + needed + ", lower --dp-noise, or use fixed clipping",
          Map.of("minNodes", minNodes, "needed", needed));
    }
  }
}
