package dev.fedgrid.api.strategy;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.fedgrid.api.InvalidRequestException;

/**
 * Which strategy a job uses and its settings. In JSON an object with a {@code type}, for example
 * {@code {"type": "fedadam", "eta": 0.01}}; fields left out take the defaults documented on each.
 *
 * <p>Every strategy first averages the nodes' parameters weighted by their number of training
 * examples (McMahan et al. 2017). FedAvg and FedProx take that average as the new model; the
 * others treat the difference between it and the current model as a pseudo-gradient for a server
 * optimizer (Hsu et al. 2019 for FedAvgM; Reddi et al. 2021, "Adaptive Federated Optimization",
 * for FedAdagrad, FedAdam and FedYogi).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = StrategyConfig.FedAvg.class, name = "fedavg"),
  @JsonSubTypes.Type(value = StrategyConfig.FedProx.class, name = "fedprox"),
  @JsonSubTypes.Type(value = StrategyConfig.FedAvgM.class, name = "fedavgm"),
  @JsonSubTypes.Type(value = StrategyConfig.FedAdagrad.class, name = "fedadagrad"),
  @JsonSubTypes.Type(value = StrategyConfig.FedAdam.class, name = "fedadam"),
  @JsonSubTypes.Type(value = StrategyConfig.FedYogi.class, name = "fedyogi")
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

  /** The proximal coefficient nodes apply in local training (zero except for FedProx). */
  default double proximalMu() {
    return this instanceof FedProx p ? p.mu() : 0.0;
  }

  private static void check(boolean ok, String message) {
    if (!ok) throw new InvalidRequestException("INVALID_STRATEGY", message);
  }

  private static void checkEtaTau(String name, double eta, double tau) {
    check(eta > 0 && eta <= 10, name + " eta must be in (0, 10], got " + eta);
    check(tau > 0 && tau <= 1, name + " tau must be in (0, 1], got " + tau);
  }

  private static void checkBetas(String name, double beta1, double beta2) {
    check(beta1 >= 0 && beta1 < 1, name + " beta1 must be in [0, 1), got " + beta1);
    check(beta2 >= 0 && beta2 < 1, name + " beta2 must be in [0, 1), got " + beta2);
  }
}
