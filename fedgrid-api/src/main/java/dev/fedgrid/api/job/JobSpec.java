package dev.fedgrid.api.job;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.SealedArtifact;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.privacy.PrivacyMode;
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
 * @param privacy differential privacy, central (DP-FedAvg, which needs the fedavg strategy) or
 *     local (noise added on the nodes, any strategy), or {@code null} for none (the default)
 * @param sampleFraction {@code q}, the probability with which each eligible online node is asked
 *     to train in a round, drawn independently per node and round from a {@code SecureRandom}
 *     (Poisson sampling), in (0, 1]; default 1, every node in every round. A round runs with the
 *     nodes drawn, never re-drawn; a draw below {@code minNodes} fails the job. With central
 *     differential privacy a smaller {@code q} spends less epsilon (amplification by sampling)
 * @param market whether the job is a market job from submission (default false): its tasks go only
 *     to nodes with an APPROVED agreement for it, so it waits, even before its demand is published,
 *     until {@code minNodes} of them are; a job without it becomes a market job only once a demand
 *     is published for it
 * @param confidential the real model spec, sealed for the nodes, or {@code null} (the default) for an
 *     ordinary job. Then {@code model} is only its outline ({@link ModelSpec#outline()}: the layers
 *     that shape the parameters, placeholders for the others, and the loss), which is all the
 *     gateway learns of the model; nodes
 *     recover the data key from the key custodians and train the sealed spec. A confidential job
 *     must be a market job, since custodians release the key only to nodes with an APPROVED
 *     agreement for it (docs/security.md, "Confidential models and key custodians")
 * @param secureAggregation secure aggregation (SecAgg+), so the gateway learns only the sum of each
 *     round's updates, or {@code null} for none (the default); see {@link SecureAggregation} for the
 *     strategies and privacy settings it works with
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
    DifferentialPrivacy privacy,
    Double sampleFraction,
    Boolean market,
    SealedArtifact confidential,
    SecureAggregation secureAggregation) {
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
    this(name, datasets, model, training, strategy, rounds, minNodes, roundTimeoutSeconds, standardize, null, null, null, null);
  }

  /** A spec in which every eligible node takes part in every round ({@code sampleFraction} 1). */
  public JobSpec(
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
    this(name, datasets, model, training, strategy, rounds, minNodes, roundTimeoutSeconds, standardize, scaling, privacy, null, null);
  }

  /** A spec that is not declared a market job at submission ({@code market} false). */
  public JobSpec(
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
      DifferentialPrivacy privacy,
      Double sampleFraction) {
    this(name, datasets, model, training, strategy, rounds, minNodes, roundTimeoutSeconds, standardize, scaling, privacy, sampleFraction, null);
  }

  /** A spec whose model is not confidential, without secure aggregation. */
  public JobSpec(
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
      DifferentialPrivacy privacy,
      Double sampleFraction,
      Boolean market) {
    this(name, datasets, model, training, strategy, rounds, minNodes, roundTimeoutSeconds, standardize, scaling, privacy, sampleFraction, market, null, null);
  }

  /** This spec with secure aggregation, or without it ({@code null}). */
  public JobSpec withSecureAggregation(SecureAggregation secure) {
    return new JobSpec(name, datasets, model, training, strategy, rounds, minNodes, roundTimeoutSeconds, standardize, scaling, privacy, sampleFraction, market, confidential, secure);
  }

  /** This spec on exactly these datasets (names or ids). */
  public JobSpec withDatasets(List<String> resolved) {
    return new JobSpec(name, resolved, model, training, strategy, rounds, minNodes, roundTimeoutSeconds, standardize, scaling, privacy, sampleFraction, market, confidential, secureAggregation);
  }

  /** This spec with its scaling resolved. */
  public JobSpec withScaling(FeatureScaling resolved) {
    return new JobSpec(name, datasets, model, training, strategy, rounds, minNodes, roundTimeoutSeconds, standardize, resolved, privacy, sampleFraction, market, confidential, secureAggregation);
  }

  /** This spec declared a market job at submission, or not. */
  public JobSpec withMarket(boolean declared) {
    return new JobSpec(name, datasets, model, training, strategy, rounds, minNodes, roundTimeoutSeconds, standardize, scaling, privacy, sampleFraction, declared, confidential, secureAggregation);
  }

  /**
   * This spec with its model sealed: {@code outline} (of the sealed model, {@link
   * ModelSpec#outline()}) in the clear, the model in {@code sealed}; a market job.
   */
  public JobSpec withConfidential(ModelSpec outline, SealedArtifact sealed) {
    return new JobSpec(name, datasets, outline, training, strategy, rounds, minNodes, roundTimeoutSeconds, standardize, scaling, privacy, sampleFraction, true, sealed, secureAggregation);
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
    sampleFraction = sampleFraction == null ? 1.0 : sampleFraction;
    market = market == null ? Boolean.FALSE : market;
    if (!(sampleFraction > 0 && sampleFraction <= 1)) {
      throw new InvalidRequestException(
          "INVALID_SAMPLE_FRACTION",
          "sampleFraction must be in (0, 1], the probability that an eligible node takes part in a round (1: every node in every round), got "
              + sampleFraction,
          Map.of("sampleFraction", sampleFraction));
    }
    if (privacy != null) checkPrivacy(privacy, strategy, minNodes, sampleFraction);
    if (confidential != null && !market) {
      throw new InvalidRequestException(
          "INVALID_CONFIDENTIAL_JOB",
          "a confidential job must be a market job (market: true, --market): the key custodians release its data key only to nodes with an APPROVED agreement for it",
          Map.of());
    }
    if (confidential != null && !model.equals(model.outline())) {
      throw new InvalidRequestException(
          "INVALID_CONFIDENTIAL_JOB",
          "the model of a confidential job must be the outline of the sealed one (its activations and dropout replaced by dropout 0), "
              + "so that they do not reach the gateway; the client builds it with ModelSpec.outline()",
          Map.of());
    }
    if (secureAggregation != null) {
      secureAggregation.check(strategy, privacy, minNodes);
      secureAggregation = secureAggregation.resolved(privacy);
    }
  }

  /**
   * Central DP-FedAvg replaces the weighted mean of FedAvg, so other strategies are refused; local DP
   * noises the updates on the nodes, and whatever the gateway computes from them is
   * post-processing, so any strategy may aggregate them. Adaptive clipping spends part of the noise
   * on the count of unclipped updates, with standard deviation {@code m / 20} for the {@code m = q N}
   * nodes a round expects (Andrew et al. 2021); that must exceed {@code z / 2}, so every round needs
   * {@code q N > 10 z}, which {@code q * minNodes > 10 z} guarantees since a round starts with {@code
   * N >= minNodes} eligible nodes.
   */
  private static void checkPrivacy(DifferentialPrivacy privacy, StrategyConfig strategy, int minNodes, double sampleFraction) {
    if (privacy.mode() == PrivacyMode.CENTRAL && !(strategy instanceof StrategyConfig.FedAvg)) {
      throw new InvalidRequestException(
          "INVALID_PRIVACY",
          "differential privacy currently works with fedavg; central DP here is DP-FedAvg (McMahan et al. 2018), which replaces the "
              + "weighted mean with a clipped, noised one, so it cannot be combined with " + strategy.name()
              + ". Use --strategy fedavg, local DP (--dp-mode local), or leave out --dp-noise",
          Map.of("strategy", strategy.name()));
    }
    double z = privacy.noiseMultiplier();
    if (privacy.adaptiveClipping() && sampleFraction * minNodes <= 10 * z) {
      int needed = (int) Math.floor(10 * z / sampleFraction) + 1;
      throw new InvalidRequestException(
          "INVALID_PRIVACY",
          "adaptive clipping with noise multiplier " + z + " needs at least " + needed + " nodes per round"
              + (sampleFraction < 1 ? " at sample fraction " + sampleFraction + " (sampleFraction x minNodes, the fewest expected, must exceed 10 x " + z + ")" : "")
              + " (its clip count is noised with standard deviation expected nodes/20, which must exceed half the noise multiplier), but minNodes is "
              + minNodes + "; raise --min-nodes to " + needed + (sampleFraction < 1 ? ", raise --sample-fraction" : "") + ", lower --dp-noise, or use fixed clipping",
          Map.of("minNodes", minNodes, "needed", needed));
    }
  }
}
