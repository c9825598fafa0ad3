package dev.fedgrid.ml;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.fedgrid.api.model.Optimizer;
import dev.fedgrid.api.model.TrainingConfig;
import java.util.List;

/**
 * SGD with momentum, or Adam, over one model's parameters, on DJL's fused PyTorch update kernels.
 *
 * <p>SGD: {@code v = momentum * v + lr * g; w -= v} (with momentum 0, {@code w -= lr * g}). Adam
 * (Kingma and Ba 2015), {@code beta1 = 0.9}, {@code beta2 = 0.999}, {@code eps = 1e-8}: {@code m =
 * beta1 m + (1 - beta1) g; s = beta2 s + (1 - beta2) g^2; w -= lr sqrt(1 - beta2^t) / (1 - beta1^t)
 * * m / (sqrt(s) + eps)}. These are the updates of DJL's {@code Optimizer.sgd()} and {@code
 * Optimizer.adam()} with a fixed learning rate; the state arrays ({@code v}, {@code m}, {@code s})
 * are allocated here in the task's manager instead, because DJL's optimizers detach theirs from
 * every manager and never free them, which leaked the state's size in native memory on every fit.
 *
 * <p>FedProx (Li et al. 2020) adds {@code mu/2 * ||w - w_global||^2} to the loss; its gradient
 * {@code mu (w - w_global)} is added to each parameter's gradient here, before the update, which is
 * cheaper than differentiating the term through the autograd graph.
 *
 * <p>Not thread-safe: one instance per task.
 */
final class LocalOptimizer {
  private static final float BETA1 = 0.9f;
  private static final float BETA2 = 0.999f;
  private static final float EPSILON = 1e-8f;
  private static final float NO_WEIGHT_DECAY = 0f;
  private static final float NO_RESCALE = 1f;
  private static final float NO_CLIP = -1f;

  private final TrainingConfig config;
  private final List<Parameter> parameters;
  private final NDArray[] first;
  private final NDArray[] second;
  private final NDArray[] anchor;
  private final float mu;
  private int steps;

  /**
   * @param anchor the global parameters for the proximal term, or null
   * @param mu the proximal term's weight, 0 for none
   */
  LocalOptimizer(TrainingConfig config, List<Parameter> parameters, NDArray[] anchor, float mu, NDManager manager) {
    this.config = config;
    this.parameters = parameters;
    this.anchor = anchor;
    this.mu = mu;
    boolean adam = config.optimizer() == Optimizer.ADAM;
    boolean momentum = adam || config.momentum() > 0;
    first = new NDArray[parameters.size()];
    second = new NDArray[parameters.size()];
    for (int i = 0; i < parameters.size(); i++) {
      NDArray w = parameters.get(i).getArray();
      if (momentum) first[i] = manager.zeros(w.getShape(), w.getDataType());
      if (adam) second[i] = manager.zeros(w.getShape(), w.getDataType());
    }
  }

  /** Applies one step with the gradients in the parameters (plus the proximal term's), then zeroes the gradients. */
  void step() {
    steps++;
    float lr = config.learningRate().floatValue();
    for (int i = 0; i < parameters.size(); i++) {
      NDArray weight = parameters.get(i).getArray();
      try (NDArray gradient = weight.getGradient()) {
        if (mu > 0) {
          try (NDArray pull = weight.sub(anchor[i])) {
            gradient.addi(pull.muli(mu));
          }
        }
        switch (config.optimizer()) {
          case SGD -> {
            NDList inputs = first[i] == null ? new NDList(weight, gradient) : new NDList(weight, gradient, first[i]);
            weight.getNDArrayInternal()
                .sgdUpdate(inputs, new NDList(weight), lr, NO_WEIGHT_DECAY, NO_RESCALE, NO_CLIP, config.momentum().floatValue(), true);
          }
          case ADAM -> {
            float corrected = (float) (lr * Math.sqrt(1 - Math.pow(BETA2, steps)) / (1 - Math.pow(BETA1, steps)));
            weight.getNDArrayInternal()
                .adamUpdate(
                    new NDList(weight, gradient, first[i], second[i]),
                    new NDList(weight),
                    lr,
                    corrected,
                    NO_WEIGHT_DECAY,
                    NO_RESCALE,
                    NO_CLIP,
                    BETA1,
                    BETA2,
                    EPSILON,
                    true,
                    false);
          }
        }
      }
      JniUtils.zeroGrad((PtNDArray) weight);
    }
  }
}
