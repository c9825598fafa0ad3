package dev.fedgrid.core.strategy;

import dev.fedgrid.api.InvalidRequestException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A server optimizer over the pseudo-gradient {@code delta = mean - global}, with its state as
 * named float arrays of the model's size (see {@link Strategies} for the update rules).
 *
 * <p>Each element is updated in double from the float state and rounded back to float once, so a
 * run that is checkpointed through {@link #export()} and {@link #restore} continues bit for bit as
 * one that is not. A step costs {@code O(d)} time and allocates the next state before committing it,
 * so a step that fails leaves the state unchanged. Not thread-safe.
 */
abstract sealed class ServerOptimizer {
  private final List<String> names;
  private float[][] state;

  private ServerOptimizer(List<String> names) {
    this.names = names;
  }

  /**
   * Computes one element: reads {@code old[k][i]}, writes {@code next[k][i]} for every state array
   * {@code k}, and returns the new weight.
   */
  abstract double update(double global, double delta, float[][] old, float[][] next, int i);

  /** Whether the named state array must stay non-negative: the second-moment estimate {@code v}. */
  boolean nonNegative(String name) {
    return name.equals("v");
  }

  final void reset(int size) {
    state = new float[names.size()][size];
  }

  /**
   * The new weights for {@code global} given the round's weighted {@code mean}, committing the new
   * state only when every result is finite.
   */
  final float[] step(float[] global, float[] mean) {
    int n = global.length;
    float[][] next = new float[names.size()][n];
    float[] w = new float[n];
    for (int i = 0; i < n; i++) {
      double g = global[i];
      w[i] = (float) update(g, mean[i] - g, state, next, i);
    }
    RoundLedger.requireFiniteResult(w);
    for (float[] s : next) RoundLedger.requireFiniteResult(s);
    state = next;
    return w;
  }

  /** Copies of the state arrays by name. */
  final Map<String, float[]> export() {
    var out = new LinkedHashMap<String, float[]>();
    for (int k = 0; k < names.size(); k++) out.put(names.get(k), state[k].clone());
    return out;
  }

  /** Replaces the state with copies of {@code saved}, after checking it fits. */
  final void restore(String strategy, int size, Map<String, float[]> saved) {
    if (!saved.keySet().equals(Set.copyOf(names))) {
      throw invalid(strategy + " keeps server state " + names + " but the checkpoint holds " + saved.keySet());
    }
    float[][] next = new float[names.size()][];
    for (int k = 0; k < names.size(); k++) {
      String name = names.get(k);
      float[] a = saved.get(name);
      if (a == null || a.length != size) {
        throw invalid(strategy + " state " + name + " has " + (a == null ? 0 : a.length) + " values but the model has " + size);
      }
      for (int i = 0; i < a.length; i++) {
        if (!Float.isFinite(a[i]) || (nonNegative(name) && a[i] < 0)) {
          throw invalid(strategy + " state " + name + " has the invalid value " + a[i] + " at index " + i);
        }
      }
      next[k] = a.clone();
    }
    state = next;
  }

  private static InvalidRequestException invalid(String message) {
    return new InvalidRequestException("INVALID_STRATEGY_STATE", message + "; restore the checkpoint this job wrote, or start the job afresh");
  }

  /** FedAvgM (Hsu et al. 2019): {@code v = momentum v + delta; w = w + serverLr v}. */
  static final class Momentum extends ServerOptimizer {
    private final double lr;
    private final double momentum;

    Momentum(double lr, double momentum) {
      super(List.of("momentum"));
      this.lr = lr;
      this.momentum = momentum;
    }

    @Override
    double update(double global, double delta, float[][] old, float[][] next, int i) {
      double v = momentum * old[0][i] + delta;
      next[0][i] = (float) v;
      return global + lr * v;
    }
  }

  /** FedAdagrad: {@code v = v + delta^2; w = w + eta delta / (sqrt(v) + tau)}. */
  static final class Adagrad extends ServerOptimizer {
    private final double eta;
    private final double tau;

    Adagrad(double eta, double tau) {
      super(List.of("v"));
      this.eta = eta;
      this.tau = tau;
    }

    @Override
    double update(double global, double delta, float[][] old, float[][] next, int i) {
      double v = old[0][i] + delta * delta;
      next[0][i] = (float) v;
      return global + eta * delta / (Math.sqrt(v) + tau);
    }
  }

  /** FedAdam: {@code m = b1 m + (1-b1) delta; v = b2 v + (1-b2) delta^2; w = w + eta m / (sqrt(v) + tau)}. */
  static final class Adam extends ServerOptimizer {
    private final double eta;
    private final double beta1;
    private final double beta2;
    private final double tau;

    Adam(double eta, double beta1, double beta2, double tau) {
      super(List.of("m", "v"));
      this.eta = eta;
      this.beta1 = beta1;
      this.beta2 = beta2;
      this.tau = tau;
    }

    @Override
    double update(double global, double delta, float[][] old, float[][] next, int i) {
      double m = beta1 * old[0][i] + (1 - beta1) * delta;
      double v = beta2 * old[1][i] + (1 - beta2) * delta * delta;
      next[0][i] = (float) m;
      next[1][i] = (float) v;
      return global + eta * m / (Math.sqrt(v) + tau);
    }
  }

  /**
   * FedYogi (Zaheer et al. 2018 on the server): {@code m} as FedAdam; {@code v = v - (1-b2) delta^2
   * sign(v - delta^2)}, which moves {@code v} additively towards {@code delta^2} and keeps it
   * non-negative.
   */
  static final class Yogi extends ServerOptimizer {
    private final double eta;
    private final double beta1;
    private final double beta2;
    private final double tau;

    Yogi(double eta, double beta1, double beta2, double tau) {
      super(List.of("m", "v"));
      this.eta = eta;
      this.beta1 = beta1;
      this.beta2 = beta2;
      this.tau = tau;
    }

    @Override
    double update(double global, double delta, float[][] old, float[][] next, int i) {
      double m = beta1 * old[0][i] + (1 - beta1) * delta;
      double d2 = delta * delta;
      double vOld = old[1][i];
      double v = vOld - (1 - beta2) * d2 * Math.signum(vOld - d2);
      next[0][i] = (float) m;
      next[1][i] = (float) v;
      return global + eta * m / (Math.sqrt(v) + tau);
    }
  }
}
