package dev.fedgrid.cli;

import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.SecureAggregation;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Optimizer;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.privacy.PrivacyMode;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.client.ModelPresets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The options that describe a job, shared by {@code fedgrid job submit} (for a grid) and {@code
 * fedgrid sim} (for virtual nodes): the model, strategy, differential privacy, sampling and local
 * training. {@link #spec} checks them together and builds the {@link JobSpec}. Used as a picocli
 * mixin, so both commands show the same options with the same help.
 */
final class JobOptions {
  private static final List<String> STRATEGIES = List.of(
      "fedavg", "fedprox", "fedavgm", "fedadam", "fedyogi", "fedadagrad", "fedmedian", "fedtrimmedavg", "krum", "multikrum", "bulyan");
  private static final List<String> BYZANTINE = List.of("krum", "multikrum", "bulyan");

  @Option(names = "--model", required = true, paramLabel = "MODEL",
      description = "logistic, mlp:<width>,<width>..., cnn, or @path/to/spec.json. Required.")
  String model;

  @Option(names = "--rounds", paramLabel = "N", defaultValue = "10", description = "Federated rounds. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--strategy", paramLabel = "NAME", defaultValue = "fedavg",
      description = "How updates are combined: fedavg, fedprox, fedavgm, fedadam, fedyogi, fedadagrad, or the Byzantine-robust fedmedian, fedtrimmedavg, krum, multikrum or bulyan. Default: ${DEFAULT-VALUE}.")
  String strategy;

  @Option(names = "--mu", paramLabel = "MU", description = "FedProx proximal coefficient (only with --strategy fedprox). Default: 0.01.")
  Double mu;

  @Option(names = "--server-lr", paramLabel = "LR",
      description = "Server learning rate of fedavgm (default 1.0) or eta of fedadam, fedyogi, fedadagrad (default 0.01).")
  Double serverLr;

  @Option(names = "--trim", paramLabel = "BETA", description = "Fraction of values cut from each end by fedtrimmedavg, in [0, 0.5). Default: 0.2.")
  Double trim;

  @Option(names = "--select", paramLabel = "M", description = "Updates multikrum averages. Default: the round's updates minus the tolerated faulty nodes.")
  Integer select;

  @Option(names = "--dp-noise", paramLabel = "Z",
      description = "Differential privacy (central DP-FedAvg with --strategy fedavg, or local with --dp-mode local): noise standard deviation over the clip norm, in (0, 100]. Larger spends less epsilon. Default: no differential privacy.")
  Double dpNoise;

  @Option(names = "--dp-mode", paramLabel = "MODE",
      description = "Who adds the noise (only with --dp-noise): central (the gateway, DP-FedAvg, fedavg only) or local (each node noises its own update before sending it, so the guarantee holds against the gateway; any strategy). Default: central.")
  String dpMode;

  @Option(names = "--sample-fraction", paramLabel = "Q",
      description = "Probability in (0, 1] that each eligible node is asked to train in a round, drawn independently per round (Poisson sampling); with central DP a smaller Q spends less epsilon. A round whose draw has fewer than --min-nodes fails the job. Default: 1 (every node in every round).")
  Double sampleFraction;

  @Option(names = "--dp-clip", paramLabel = "C",
      description = "L2 norm each node's update is clipped to (only with --dp-noise). Default: 1.0, or 0.1 as the initial clip norm with --dp-adaptive.")
  Double dpClip;

  @Option(names = "--dp-adaptive",
      description = "Adapt the clip norm to the median update norm (Andrew et al. 2021; only with --dp-noise; rounds then need more than 10 x Z nodes). Default: false.")
  boolean dpAdaptive;

  @Option(names = "--dp-delta", paramLabel = "D", description = "The delta of the (epsilon, delta) guarantee, in (0, 0.1) (only with --dp-noise). Default: 1e-5.")
  Double dpDelta;

  @Option(names = "--secure-aggregation", paramLabel = "PROTOCOL",
      description = "Secure aggregation: secagg+ (the gateway learns only the sum of each round's updates, never one node's). Works with fedavg, fedprox, fedavgm, fedadam, fedyogi, fedadagrad and central DP with fixed clipping. Default: off.")
  String secureAggregation;

  @Option(names = "--neighbours", paramLabel = "K",
      description = "SecAgg+ neighbours per node in each round's key-agreement graph, 1 to 254, at most --min-nodes - 1 (only with --secure-aggregation). Default: about 2 log2 n, the complete graph for small rounds.")
  Integer neighbours;

  @Option(names = "--threshold", paramLabel = "T",
      description = "SecAgg+ shares that reconstruct a node's secrets, and fewest inputs a sum may hold, 2 to K + 1 (only with --secure-aggregation). Default: a strict majority of K + 1.")
  Integer threshold;

  @Option(names = "--secagg-range", paramLabel = "R",
      description = "SecAgg+ clipping range: each value of a node's difference from the global model is clipped to [-R, R] before quantization (only with --secure-aggregation). Default: 1, or the clip norm with central DP.")
  Double secaggRange;

  @Option(names = "--secagg-bits", paramLabel = "BITS", description = "SecAgg+ quantization bits per value, 1 to 32 (only with --secure-aggregation). Default: 16.")
  Integer secaggBits;

  @Option(names = "--secagg-stage-timeout", paramLabel = "DURATION", converter = JobCommand.DurationConverter.class,
      description = "Deadline of each SecAgg+ crypto stage after training (stage 1 shares --round-timeout), such as 60s (only with --secure-aggregation). Default: 60s.")
  Duration secaggStageTimeout;

  @Option(names = "--epochs", paramLabel = "N", description = "Local epochs per round on each node. Default: 1.")
  Integer epochs;

  @Option(names = "--batch-size", paramLabel = "N", description = "Local mini-batch size. Default: 32.")
  Integer batchSize;

  @Option(names = "--lr", paramLabel = "LR", description = "Local learning rate. Default: 0.1 with sgd, 0.001 with adam.")
  Double lr;

  @Option(names = "--optimizer", paramLabel = "NAME", description = "Local optimizer: sgd or adam. Default: sgd.")
  String optimizer;

  @Option(names = "--momentum", paramLabel = "M", description = "SGD momentum in [0, 1). Default: 0.")
  Double momentum;

  @Option(names = "--seed", paramLabel = "N", description = "Seed for initialization, shuffling and dropout. Default: 42.")
  Long seed;

  @Option(names = "--min-nodes", paramLabel = "N", description = "Fewest nodes a round may run with; on a grid the job waits until that many are online. Default: 2.")
  Integer minNodes;

  @Option(names = "--round-timeout", paramLabel = "DURATION", defaultValue = "300s", converter = JobCommand.DurationConverter.class,
      description = "Deadline of each round, such as 300s, 5m or 1h. Default: ${DEFAULT-VALUE}.")
  Duration roundTimeout;

  @Option(names = "--no-standardize", description = "Do not standardize tabular features with the pooled column statistics. Default: standardize.")
  boolean noStandardize;

  /**
   * The job spec. Usage errors are found before {@code first} is asked for the dataset the model
   * preset is fitted to (on a grid, that asks the gateway).
   *
   * @param byzantine faulty nodes krum, multikrum and bulyan tolerate, or {@code null}
   * @param sampleFraction the Poisson sampling probability, or {@code null} for every node
   * @throws ParameterException for conflicting or malformed options
   */
  JobSpec spec(CommandLine cl, String name, List<String> datasets, Integer byzantine, Double sampleFraction, Supplier<DatasetInfo> first) {
    StrategyConfig strategyConfig = strategy(cl, byzantine);
    DifferentialPrivacy privacy = privacy(cl);
    SecureAggregation secure = secureAggregation(cl);
    var training = new TrainingConfig(epochs, batchSize, optimizer(cl), lr, momentum, seed);
    int timeoutSeconds = seconds(cl, roundTimeout);
    ModelSpec modelSpec = ModelPresets.preset(model, first.get());
    return new JobSpec(
        name, datasets, modelSpec, training, strategyConfig, rounds, minNodes, timeoutSeconds, noStandardize ? Boolean.FALSE : null, null, privacy,
        sampleFraction, null, null, secure);
  }

  private SecureAggregation secureAggregation(CommandLine cl) {
    if (secureAggregation == null) {
      if (neighbours != null || threshold != null || secaggRange != null || secaggBits != null || secaggStageTimeout != null) {
        throw new ParameterException(cl, "--neighbours, --threshold, --secagg-range, --secagg-bits and --secagg-stage-timeout apply only with --secure-aggregation secagg+");
      }
      return null;
    }
    if (!secureAggregation.strip().equalsIgnoreCase(SecureAggregation.SECAGG_PLUS)) {
      throw new ParameterException(cl, "--secure-aggregation must be " + SecureAggregation.SECAGG_PLUS + ", got '" + secureAggregation + "'");
    }
    Integer stage = null;
    if (secaggStageTimeout != null) {
      long sec = secaggStageTimeout.toSeconds();
      if (sec < 1 || sec > 3600 || secaggStageTimeout.toMillis() % 1000 != 0) {
        throw new ParameterException(cl, "--secagg-stage-timeout must be whole seconds between 1s and 1h, got " + secaggStageTimeout.toString().substring(2).toLowerCase(Locale.ROOT));
      }
      stage = (int) sec;
    }
    return new SecureAggregation(SecureAggregation.SECAGG_PLUS, neighbours, threshold, secaggRange, secaggBits, stage);
  }

  private DifferentialPrivacy privacy(CommandLine cl) {
    if (dpNoise == null) {
      if (dpClip != null || dpAdaptive || dpDelta != null || dpMode != null) {
        throw new ParameterException(cl, "--dp-clip, --dp-adaptive, --dp-delta and --dp-mode apply only with --dp-noise, which turns on differential privacy");
      }
      return null;
    }
    PrivacyMode mode = switch (dpMode == null ? "central" : dpMode.strip().toLowerCase(Locale.ROOT)) {
      case "central" -> PrivacyMode.CENTRAL;
      case "local" -> PrivacyMode.LOCAL;
      default -> throw new ParameterException(cl, "--dp-mode is central or local, not '" + dpMode + "'");
    };
    String s = strategy.strip().toLowerCase(Locale.ROOT);
    if (mode == PrivacyMode.CENTRAL && !s.equals("fedavg")) {
      throw new ParameterException(
          cl, "--dp-noise works with --strategy fedavg (central DP-FedAvg), not " + s + "; local DP (--dp-mode local) works with any strategy");
    }
    return new DifferentialPrivacy(dpNoise, dpClip, dpAdaptive, null, null, dpDelta, mode);
  }

  private Optimizer optimizer(CommandLine cl) {
    if (optimizer == null) return null;
    return switch (optimizer.strip().toLowerCase(Locale.ROOT)) {
      case "sgd" -> Optimizer.SGD;
      case "adam" -> Optimizer.ADAM;
      default -> throw new ParameterException(cl, "--optimizer must be sgd or adam, got '" + optimizer + "'");
    };
  }

  private StrategyConfig strategy(CommandLine cl, Integer byzantine) {
    String s = strategy.strip().toLowerCase(Locale.ROOT);
    if (!STRATEGIES.contains(s)) {
      throw new ParameterException(cl, "--strategy must be one of " + String.join(", ", STRATEGIES) + ", got '" + strategy + "'");
    }
    if (mu != null && !s.equals("fedprox")) throw new ParameterException(cl, "--mu applies only to --strategy fedprox, not " + s);
    if (serverLr != null && (s.equals("fedavg") || s.equals("fedprox"))) {
      throw new ParameterException(cl, "--server-lr applies to fedavgm, fedadam, fedyogi and fedadagrad, not " + s);
    }
    if (byzantine != null && !BYZANTINE.contains(s)) throw new ParameterException(cl, "--byzantine applies to krum, multikrum and bulyan, not " + s);
    if (trim != null && !s.equals("fedtrimmedavg")) throw new ParameterException(cl, "--trim applies only to --strategy fedtrimmedavg, not " + s);
    if (select != null && !s.equals("multikrum")) throw new ParameterException(cl, "--select applies only to --strategy multikrum, not " + s);
    return switch (s) {
      case "fedprox" -> new StrategyConfig.FedProx(mu);
      case "fedavgm" -> new StrategyConfig.FedAvgM(serverLr, null);
      case "fedadam" -> new StrategyConfig.FedAdam(serverLr, null, null, null);
      case "fedyogi" -> new StrategyConfig.FedYogi(serverLr, null, null, null);
      case "fedadagrad" -> new StrategyConfig.FedAdagrad(serverLr, null);
      case "fedmedian" -> new StrategyConfig.FedMedian();
      case "fedtrimmedavg" -> new StrategyConfig.FedTrimmedAvg(trim);
      case "krum" -> new StrategyConfig.Krum(byzantine);
      case "multikrum" -> new StrategyConfig.MultiKrum(byzantine, select);
      case "bulyan" -> new StrategyConfig.Bulyan(byzantine);
      default -> new StrategyConfig.FedAvg();
    };
  }

  /** Whether the strategy tolerates a number of faulty nodes (krum, multikrum, bulyan). */
  boolean toleratesFaults() {
    return BYZANTINE.contains(strategy.strip().toLowerCase(Locale.ROOT));
  }

  private static int seconds(CommandLine cl, Duration d) {
    long s = d.toSeconds();
    if (s < 1 || s > 86_400 || d.toMillis() % 1000 != 0) {
      throw new ParameterException(cl, "--round-timeout must be whole seconds between 1s and 24h, got " + d.toString().substring(2).toLowerCase(Locale.ROOT));
    }
    return (int) s;
  }
}
