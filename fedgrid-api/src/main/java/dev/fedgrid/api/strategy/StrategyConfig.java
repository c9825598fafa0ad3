package dev.fedgrid.api.strategy;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.fedgrid.api.InvalidRequestException;

/**
 * Which strategy a job uses and its settings. In JSON an object with a {@code type}, for example
 * {@code {"type": "fedadam", "eta": 0.01}}; fields left out take the defaults documented on each.
 *
 * <p>The mean-based strategies first average the nodes' parameters weighted by their number of
 * training examples (McMahan et al. 2017). FedAvg and FedProx take that average as the new model;
 * FedAvgM, FedAdagrad, FedAdam and FedYogi treat the difference between it and the current model as
 * a pseudo-gradient for a server optimizer (Hsu et al. 2019 for FedAvgM; Reddi et al. 2021,
 * "Adaptive Federated Optimization", for FedAdagrad, FedAdam and FedYogi).
 *
 * <p>The robust strategies instead look at every update and resist a minority of faulty or
 * malicious ("Byzantine") nodes: FedMedian and FedTrimmedAvg per coordinate (Yin et al. 2018,
 * "Byzantine-Robust Distributed Learning: Towards Optimal Statistical Rates"), Krum and Multi-Krum
 * by distances between whole updates (Blanchard et al. 2017, "Machine Learning with Adversaries:
 * Byzantine Tolerant Gradient Descent"), and Bulyan, which combines both (El Mhamdi, Guerraoui and
 * Rouault 2018, "The Hidden Vulnerability of Distributed Learning in Byzantium"). Their parameter
 * {@code byzantine} is the number {@code f} of faulty nodes to tolerate; whether a round has enough
 * updates for it is checked when the round is aggregated.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = StrategyConfig.FedAvg.class, name = "fedavg"),
  @JsonSubTypes.Type(value = StrategyConfig.FedProx.class, name = "fedprox"),
  @JsonSubTypes.Type(value = StrategyConfig.FedAvgM.class, name = "fedavgm"),
  @JsonSubTypes.Type(value = StrategyConfig.FedAdagrad.class, name = "fedadagrad"),
  @JsonSubTypes.Type(value = StrategyConfig.FedAdam.class, name = "fedadam"),
  @JsonSubTypes.Type(value = StrategyConfig.FedYogi.class, name = "fedyogi"),
  @JsonSubTypes.Type(value = StrategyConfig.FedMedian.class, name = "fedmedian"),
  @JsonSubTypes.Type(value = StrategyConfig.FedTrimmedAvg.class, name = "fedtrimmedavg"),
  @JsonSubTypes.Type(value = StrategyConfig.Krum.class, name = "krum"),
  @JsonSubTypes.Type(value = StrategyConfig.MultiKrum.class, name = "multikrum"),
  @JsonSubTypes.Type(value = StrategyConfig.Bulyan.class, name = "bulyan")
})
public sealed interface StrategyConfig {
  /** The strategy's name as used in JSON and on the command line. */
  String name();

  /** Weighted average of the nodes' parameters. */
  record FedAvg() implements StrategyConfig {
    @Override
    public String name() {
      return "fedavg";
    }
  }

  /**
   * FedAvg whose nodes add a proximal term {@code mu/2 ||w - w_global||^2} to their local loss (Li
   * et al. 2020). {@code mu} defaults to 0.01.
   */
  record FedProx(Double mu) implements StrategyConfig {
    public FedProx {
      mu = mu == null ? 0.01 : mu;
      check(mu >= 0 && mu <= 100, "fedprox mu must be in [0, 100], got " + mu);
    }

    @Override
    public String name() {
      return "fedprox";
    }
  }

  /**
   * Server momentum: {@code v = momentum * v + delta; w = w + serverLearningRate * v}.
   * Defaults: server learning rate 1.0, momentum 0.9.
   */
  record FedAvgM(Double serverLearningRate, Double momentum) implements StrategyConfig {
    public FedAvgM {
      serverLearningRate = serverLearningRate == null ? 1.0 : serverLearningRate;
      momentum = momentum == null ? 0.9 : momentum;
      check(serverLearningRate > 0 && serverLearningRate <= 10, "fedavgm serverLearningRate must be in (0, 10], got " + serverLearningRate);
      check(momentum >= 0 && momentum < 1, "fedavgm momentum must be in [0, 1), got " + momentum);
    }

    @Override
    public String name() {
      return "fedavgm";
    }
  }

  /** Adagrad on the server. Defaults: eta 0.01, tau 0.001. */
  record FedAdagrad(Double eta, Double tau) implements StrategyConfig {
    public FedAdagrad {
      eta = eta == null ? 0.01 : eta;
      tau = tau == null ? 1e-3 : tau;
      checkEtaTau("fedadagrad", eta, tau);
    }

    @Override
    public String name() {
      return "fedadagrad";
    }
  }

  /** Adam on the server. Defaults: eta 0.01, beta1 0.9, beta2 0.99, tau 0.001. */
  record FedAdam(Double eta, Double beta1, Double beta2, Double tau) implements StrategyConfig {
    public FedAdam {
      eta = eta == null ? 0.01 : eta;
      beta1 = beta1 == null ? 0.9 : beta1;
      beta2 = beta2 == null ? 0.99 : beta2;
      tau = tau == null ? 1e-3 : tau;
      checkEtaTau("fedadam", eta, tau);
      checkBetas("fedadam", beta1, beta2);
    }

    @Override
    public String name() {
      return "fedadam";
    }
  }

  /** Yogi on the server. Defaults: eta 0.01, beta1 0.9, beta2 0.99, tau 0.001. */
  record FedYogi(Double eta, Double beta1, Double beta2, Double tau) implements StrategyConfig {
    public FedYogi {
      eta = eta == null ? 0.01 : eta;
      beta1 = beta1 == null ? 0.9 : beta1;
      beta2 = beta2 == null ? 0.99 : beta2;
      tau = tau == null ? 1e-3 : tau;
      checkEtaTau("fedyogi", eta, tau);
      checkBetas("fedyogi", beta1, beta2);
    }

    @Override
    public String name() {
      return "fedyogi";
    }
  }

  /**
   * The coordinate-wise median of the updates, unweighted: the middle value, or the mean of the two
   * middle values when their number is even.
   */
  record FedMedian() implements StrategyConfig {
    @Override
    public String name() {
      return "fedmedian";
    }
  }

  /**
   * The coordinate-wise trimmed mean: per coordinate, drop the {@code floor(beta n)} smallest and
   * largest of the {@code n} values and average the rest, unweighted. {@code beta}, the fraction cut
   * from each end, defaults to 0.2 and must be in [0, 0.5).
   */
  record FedTrimmedAvg(Double beta) implements StrategyConfig {
    public FedTrimmedAvg {
      beta = beta == null ? 0.2 : beta;
      check(beta >= 0 && beta < 0.5, "fedtrimmedavg beta (the fraction cut from each end) must be in [0, 0.5), got " + beta);
    }

    @Override
    public String name() {
      return "fedtrimmedavg";
    }
  }

  /**
   * Krum: the one update closest to its {@code n - f - 2} nearest neighbours. {@code byzantine}
   * ({@code f}) defaults to 0; a round needs {@code n > 2f + 2} updates.
   */
  record Krum(Integer byzantine) implements StrategyConfig {
    public Krum {
      byzantine = byzantine == null ? 0 : byzantine;
      checkByzantine("krum", byzantine);
    }

    @Override
    public String name() {
      return "krum";
    }
  }

  /**
   * Multi-Krum: the mean, weighted by examples, of the {@code select} ({@code m}) updates with the
   * best Krum scores. {@code byzantine} ({@code f}) defaults to 0 and {@code select} to {@code n - f}
   * for a round of {@code n} updates; a round needs {@code n > 2f + 2} and {@code n >= m}.
   */
  record MultiKrum(Integer byzantine, Integer select) implements StrategyConfig {
    public MultiKrum {
      byzantine = byzantine == null ? 0 : byzantine;
      checkByzantine("multikrum", byzantine);
      check(select == null || (select >= 1 && select <= 100_000), "multikrum select (updates to average) must be in [1, 100000], got " + select);
    }

    @Override
    public String name() {
      return "multikrum";
    }
  }

  /**
   * Bulyan: Krum applied repeatedly selects {@code n - 2f} updates, then each coordinate is the mean
   * of the {@code n - 4f} selected values closest to their median. {@code byzantine} ({@code f})
   * defaults to 0; a round needs {@code n >= 4f + 3} updates.
   */
  record Bulyan(Integer byzantine) implements StrategyConfig {
    public Bulyan {
      byzantine = byzantine == null ? 0 : byzantine;
      checkByzantine("bulyan", byzantine);
    }

    @Override
    public String name() {
      return "bulyan";
    }
  }

  /** The proximal coefficient nodes apply in local training (zero except for FedProx). */
  default double proximalMu() {
    return this instanceof FedProx p ? p.mu() : 0.0;
  }

  /**
   * The fewest successful updates a round needs for this strategy to aggregate: 1 for the
   * averaging strategies, {@code 2f + 3} for Krum, {@code max(2f + 3, select)} for Multi-Krum and
   * {@code 4f + 3} for Bulyan, with {@code f} the tolerated Byzantine nodes.
   */
  default int minimumUpdates() {
    return switch (this) {
      case Krum k -> 2 * k.byzantine() + 3;
      case MultiKrum m -> Math.max(2 * m.byzantine() + 3, m.select() == null ? 1 : m.select());
      case Bulyan b -> 4 * b.byzantine() + 3;
      default -> 1;
    };
  }

  private static void check(boolean ok, String message) {
    if (!ok) throw new InvalidRequestException("INVALID_STRATEGY", message);
  }

  private static void checkEtaTau(String name, double eta, double tau) {
    check(eta > 0 && eta <= 10, name + " eta must be in (0, 10], got " + eta);
    check(tau > 0 && tau <= 1, name + " tau must be in (0, 1], got " + tau);
  }

  /** {@code f} counts nodes, so it is bounded as a job's {@code minNodes}. */
  private static void checkByzantine(String name, int byzantine) {
    check(byzantine >= 0 && byzantine <= 100_000, name + " byzantine (faulty nodes to tolerate) must be in [0, 100000], got " + byzantine);
  }

  private static void checkBetas(String name, double beta1, double beta2) {
    check(beta1 >= 0 && beta1 < 1, name + " beta1 must be in [0, 1), got " + beta1);
    check(beta2 >= 0 && beta2 < 1, name + " beta2 must be in [0, 1), got " + beta2);
  }
}
