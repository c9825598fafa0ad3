package dev.fedgrid.ml;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.model.Loss;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TrainingConfig;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * One fit or evaluation on the DJL PyTorch engine, run start to end on one platform thread.
 *
 * <p>The training loop drives PyTorch's autograd directly ({@code JniUtils.backward}) rather than
 * through DJL's {@code GradientCollector}: DJL's PyTorch collector keeps a process-wide flag that
 * allows only one collector at a time, which would serialize every concurrent task. PyTorch's grad
 * mode is thread-local, so each task sets it on its own thread: on for the forward and backward
 * pass, off for the optimizer step and evaluation.
 *
 * <p>Memory: each task allocates in its own {@link NDManager}, closed at the end; the arrays of one
 * step (batch, activations, loss, autograd graph) live in an {@link NDScope} closed after the step,
 * so a long fit holds only the parameters, their gradients and the optimizer state.
 *
 * <p>Not thread-safe; one instance per call.
 */
final class DjlTask {
  /** Rows per forward pass when evaluating. */
  static final int EVAL_BATCH = 512;

  private final ModelSpec spec;
  private final Parameters parameters;
  private final LocalData data;
  private final ParameterLayout layout;
  private final int outputs;
  private final float[] mean;
  private final float[] inverseScale;

  /**
   * Checks that {@code spec}, {@code parameters}, {@code data} and {@code scaling} fit together.
   *
   * @throws TrainingException saying what does not fit
   */
  DjlTask(ModelSpec spec, Parameters parameters, LocalData data, FeatureScaling scaling, String purpose) {
    this.spec = spec;
    this.parameters = parameters;
    this.data = data;
    if (data.rows() == 0) throw new TrainingException("there are no rows to " + purpose + " on");
    List<Integer> shape = data.featureShape();
    List<Integer> output;
    try {
      layout = spec.parameterLayout(shape);
      output = spec.outputShape(shape);
    } catch (InvalidRequestException e) {
      throw new TrainingException(e.getMessage(), e);
    }
    if (output.size() != 1) {
      throw new TrainingException("the model's output must be flat but is " + output + " for input " + shape + "; end the model with a flatten and a dense layer");
    }
    outputs = output.get(0);
    checkOutputs(spec.loss(), outputs);
    if (!parameters.layout().equals(layout)) {
      throw new TrainingException(
          "the parameters hold " + parameters.layout().tensors().size() + " tensors (" + parameters.values().length
              + " values) but this model on input " + shape + " needs " + layout.tensors() + "; send parameters built for this model spec");
    }
    int bad = parameters.firstNonFinite();
    if (bad >= 0) throw new TrainingException("parameter value " + bad + " is NaN or infinite; the global model has diverged");
    checkLabels(spec.loss(), data, outputs);
    int width = data.width();
    if (scaling.mean().size() != 1 && scaling.mean().size() != width) {
      throw new TrainingException("the feature scaling has " + scaling.mean().size() + " entries but the data has " + width + " features; send one entry or one per feature");
    }
    mean = new float[width];
    inverseScale = new float[width];
    for (int j = 0; j < width; j++) {
      mean[j] = (float) scaling.mean(j);
      inverseScale[j] = (float) (1.0 / scaling.scale(j));
    }
    float[] features = data.features();
    for (int i = 0; i < features.length; i++) {
      if (!Float.isFinite(features[i])) {
        throw new TrainingException("example " + i / width + " has a NaN or infinite feature; clean the dataset and register it again");
      }
    }
  }

  /** Trains from the parameters given at construction; see {@link TrainingEngine#fit}. */
  FitResult fit(TrainingConfig config, double proximalMu) {
    if (!(proximalMu >= 0) || Double.isInfinite(proximalMu)) {
      throw new TrainingException("the proximal term mu must be a finite number >= 0, got " + proximalMu);
    }
    int rows = data.rows();
    int batchSize = Math.min(config.batchSize(), rows);
    boolean gradMode = JniUtils.isGradMode();
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE_NAME)) {
      DjlModel model = DjlModel.build(spec, data.featureShape(), layout, parameters.values(), config.seed(), manager);
      List<Parameter> weights = model.parameters();
      NDArray[] anchor = proximalMu > 0 ? anchor(weights, parameters, manager) : null;
      var optimizer = new LocalOptimizer(config, weights, anchor, (float) proximalMu, manager);
      float[] x = new float[batchSize * data.width()];
      float[] labels = new float[batchSize];
      float[] target = new float[spec.loss() == Loss.SOFTMAX_CROSS_ENTROPY ? batchSize * outputs : batchSize];
      int[] order = new int[rows];
      for (int i = 0; i < rows; i++) order[i] = i;
      Scores scores = null;
      for (int epoch = 0; epoch < config.epochs(); epoch++) {
        shuffle(order, new Random(config.seed() + epoch));
        scores = new Scores(spec.loss(), outputs, false);
        for (int start = 0; start < rows; start += batchSize) {
          if (Thread.interrupted()) throw new TrainingException("interrupted");
          int n = Math.min(batchSize, rows - start);
          fillBatch(order, start, n, x, labels);
          fillTarget(labels, n, target);
          float[] out;
          try (NDScope step = new NDScope()) {
            step.suppressNotUsedWarning();
            JniUtils.setGradMode(true);
            NDArray input = batch(manager, x, model.batchShape(n));
            NDArray y = targetArray(manager, target, n);
            NDArray output = model.forward(input, true);
            NDArray loss = loss(spec.loss(), output, y);
            float value = loss.getFloat();
            if (!Float.isFinite(value)) {
              throw new TrainingException(
                  "training diverged: the loss became " + value + " in batch " + (start / batchSize + 1) + " of epoch " + (epoch + 1)
                      + "; lower the learning rate (now "
                      + config.learningRate() + ") or check the feature scaling");
            }
            JniUtils.backward((PtNDArray) loss, (PtNDArray) loss.onesLike(), false, false);
            out = output.toFloatArray();
          } finally {
            JniUtils.setGradMode(false);
          }
          scores.add(out, labels, n);
          optimizer.step();
        }
      }
      float[] values = model.values();
      for (int i = 0; i < values.length; i++) {
        if (!Float.isFinite(values[i])) {
          throw new TrainingException("training diverged: parameter " + i + " became NaN or infinite; lower the learning rate (now " + config.learningRate() + ")");
        }
      }
      return new FitResult(new Parameters(layout, values), rows, scores.metrics());
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }

  /** Evaluates the parameters given at construction; see {@link TrainingEngine#evaluate}. */
  EvalResult evaluate() {
    int rows = data.rows();
    int batchSize = Math.min(EVAL_BATCH, rows);
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE_NAME)) {
      DjlModel model = DjlModel.build(spec, data.featureShape(), layout, parameters.values(), 0, manager);
      for (Parameter p : model.parameters()) p.getArray().setRequiresGradient(false);
      float[] x = new float[batchSize * data.width()];
      float[] labels = new float[batchSize];
      int[] order = new int[rows];
      for (int i = 0; i < rows; i++) order[i] = i;
      var scores = new Scores(spec.loss(), outputs, true);
      for (int start = 0; start < rows; start += batchSize) {
        if (Thread.interrupted()) throw new TrainingException("interrupted");
        int n = Math.min(batchSize, rows - start);
        fillBatch(order, start, n, x, labels);
        float[] out;
        try (NDScope step = new NDScope()) {
          step.suppressNotUsedWarning();
          NDArray input = batch(manager, x, model.batchShape(n));
          out = model.forward(input, false).toFloatArray();
        }
        scores.add(out, labels, n);
      }
      return new EvalResult(rows, scores.metrics());
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }

  /** Copies rows {@code order[start..start+n)} into {@code x}, scaled, and their labels. */
  private void fillBatch(int[] order, int start, int n, float[] x, float[] labels) {
    int width = data.width();
    float[] features = data.features();
    float[] all = data.labels();
    for (int i = 0; i < n; i++) {
      int row = order[start + i];
      int from = row * width;
      int to = i * width;
      for (int j = 0; j < width; j++) x[to + j] = (features[from + j] - mean[j]) * inverseScale[j];
      labels[i] = all[row];
    }
  }

  /** The loss's target: one-hot rows for softmax, the labels otherwise. */
  private void fillTarget(float[] labels, int n, float[] target) {
    if (spec.loss() != Loss.SOFTMAX_CROSS_ENTROPY) {
      System.arraycopy(labels, 0, target, 0, n);
      return;
    }
    Arrays.fill(target, 0, n * outputs, 0f);
    for (int i = 0; i < n; i++) target[i * outputs + (int) labels[i]] = 1f;
  }

  private NDArray targetArray(NDManager manager, float[] target, int n) {
    return batch(manager, target, new Shape(n, spec.loss() == Loss.SOFTMAX_CROSS_ENTROPY ? outputs : 1));
  }

  /** An array of {@code shape} from the start of {@code values}. */
  private static NDArray batch(NDManager manager, float[] values, Shape shape) {
    return manager.create(FloatBuffer.wrap(values, 0, Math.toIntExact(shape.size())), shape);
  }

  /**
   * The mean loss of a batch of logits {@code z} {@code (n, k)} against {@code y}: {@code -sum(y *
   * logSoftmax(z))} with one-hot {@code y}; {@code max(z, 0) - z y + log(1 + exp(-|z|))}; or {@code
   * (z - y)^2}.
   */
  private static NDArray loss(Loss loss, NDArray z, NDArray y) {
    return switch (loss) {
      case SOFTMAX_CROSS_ENTROPY -> z.logSoftmax(1).mul(y).sum(new int[] {1}).neg().mean();
      case BINARY_CROSS_ENTROPY -> z.maximum(0f).sub(z.mul(y)).add(z.abs().neg().exp().add(1f).log()).mean();
      case MSE -> z.sub(y).square().mean();
    };
  }

  /** The global parameters as constant arrays, for the proximal term. */
  private static NDArray[] anchor(List<Parameter> weights, Parameters global, NDManager manager) {
    var anchor = new NDArray[weights.size()];
    for (int i = 0; i < anchor.length; i++) anchor[i] = manager.create(global.tensor(i), weights.get(i).getArray().getShape());
    return anchor;
  }

  private static void shuffle(int[] order, Random random) {
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }

  private static void checkOutputs(Loss loss, int outputs) {
    switch (loss) {
      case SOFTMAX_CROSS_ENTROPY -> {
        if (outputs < 2) {
          throw new TrainingException("softmax_cross_entropy needs one output per class (at least 2) but the model has " + outputs + "; widen the last dense layer");
        }
      }
      case BINARY_CROSS_ENTROPY, MSE -> {
        if (outputs != 1) {
          throw new TrainingException(
              loss.name().toLowerCase(Locale.ROOT) + " needs one output but the model has " + outputs + "; make the last dense layer 1 unit wide");
        }
      }
    }
  }

  /** Checks every label fits the loss; names the example but never the label's value. */
  private static void checkLabels(Loss loss, LocalData data, int outputs) {
    float[] labels = data.labels();
    for (int i = 0; i < labels.length; i++) {
      float y = labels[i];
      boolean ok =
          switch (loss) {
            case SOFTMAX_CROSS_ENTROPY -> y >= 0 && y < outputs && y == Math.rint(y);
            case BINARY_CROSS_ENTROPY -> y == 0f || y == 1f;
            case MSE -> Float.isFinite(y);
          };
      if (!ok) {
        throw new TrainingException(
            switch (loss) {
              case SOFTMAX_CROSS_ENTROPY ->
                  "example " + i + " has a label that is not a class index in [0, " + outputs + "); make the last dense layer as wide as the dataset's number of classes";
              case BINARY_CROSS_ENTROPY ->
                  "example " + i + " has a label other than 0 or 1; binary_cross_entropy needs 0/1 labels, use softmax_cross_entropy for more classes";
              case MSE -> "example " + i + " has a NaN or infinite label; clean the dataset and register it again";
            });
      }
    }
  }
}
