package dev.fedgrid.api.model;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.LabelKind;
import java.util.ArrayList;
import java.util.List;

/**
 * A portable description of a model: a stack of layers and the loss it is trained with. The input
 * shape is not part of the spec; it comes from the datasets a job trains on, so the same spec
 * works on any data of the right kind.
 *
 * <p>Logistic regression on 30 features is {@code {"layers": [{"type": "dense", "units": 1}],
 * "loss": "binary_cross_entropy"}}; an MLP adds hidden dense layers with activations.
 *
 * <p>The parameters of a model are laid out by {@link #parameterLayout(List)}: for layer {@code
 * i} with parameters, {@code layer<i>.weight} then {@code layer<i>.bias}, in layer order. Every
 * training engine must read and write parameters in exactly this layout.
 */
public record ModelSpec(List<Layer> layers, Loss loss) {
  public static final int MAX_LAYERS = 64;

  public ModelSpec {
    if (layers == null || layers.isEmpty()) {
      throw new InvalidRequestException("INVALID_MODEL_SPEC", "a model spec needs at least one layer");
    }
    if (layers.size() > MAX_LAYERS) {
      throw new InvalidRequestException("INVALID_MODEL_SPEC", "a model spec may have at most " + MAX_LAYERS + " layers");
    }
    for (Layer layer : layers) {
      if (layer == null) throw new InvalidRequestException("INVALID_MODEL_SPEC", "a layer is null");
    }
    layers = List.copyOf(layers);
    if (loss == null) {
      throw new InvalidRequestException("INVALID_MODEL_SPEC", "a model spec needs a loss: softmax_cross_entropy, binary_cross_entropy or mse");
    }
  }

  /** Logistic regression for binary labels. */
  public static ModelSpec logisticRegression() {
    return new ModelSpec(List.of(new Layer.Dense(1)), Loss.BINARY_CROSS_ENTROPY);
  }

  /** A multi-layer perceptron with ReLU between hidden layers. */
  public static ModelSpec mlp(List<Integer> hidden, int outputs, Loss loss) {
    var layers = new ArrayList<Layer>();
    for (int units : hidden) {
      layers.add(new Layer.Dense(units));
      layers.add(new Layer.Relu());
    }
    layers.add(new Layer.Dense(outputs));
    return new ModelSpec(layers, loss);
  }

  /** What {@link #outline()} puts in place of a layer that changes neither shapes nor parameters: an identity. */
  public static final Layer HIDDEN = new Layer.Dropout(0.0);

  /**
   * This model with every layer that changes neither shapes nor parameters (ReLU, tanh, sigmoid,
   * dropout) replaced by the identity {@link #HIDDEN}: the same {@link #parameterLayout} (tensor
   * names follow layer positions, so the positions stay), the same output shape and the loss. A
   * confidential job's spec carries only this in the clear, so the gateway can lay out, initialise,
   * check and aggregate parameters without learning which activations or dropout rates there are.
   */
  public ModelSpec outline() {
    var kept = new ArrayList<Layer>();
    for (Layer layer : layers) {
      kept.add(switch (layer) {
        case Layer.Relu r -> HIDDEN;
        case Layer.Tanh t -> HIDDEN;
        case Layer.Sigmoid s -> HIDDEN;
        case Layer.Dropout d -> HIDDEN;
        case Layer.Dense d -> d;
        case Layer.Conv2d c -> c;
        case Layer.MaxPool2d m -> m;
        case Layer.Flatten f -> f;
      });
    }
    return new ModelSpec(kept, loss);
  }

  /** Shape of the output for the given input shape; checks every layer on the way. */
  public List<Integer> outputShape(List<Integer> inputShape) {
    List<Integer> shape = checkInput(inputShape);
    for (Layer layer : layers) shape = layer.outputShape(shape);
    return shape;
  }

  /** The parameter tensors of this model for the given input shape, in engine order. */
  public ParameterLayout parameterLayout(List<Integer> inputShape) {
    List<Integer> shape = checkInput(inputShape);
    var tensors = new ArrayList<TensorSpec>();
    for (int i = 0; i < layers.size(); i++) {
      Layer layer = layers.get(i);
      List<Integer> out = layer.outputShape(shape);
      switch (layer) {
        case Layer.Dense d -> {
          tensors.add(TensorSpec.of("layer" + i + ".weight", d.units(), shape.get(0)));
          tensors.add(TensorSpec.of("layer" + i + ".bias", d.units()));
        }
        case Layer.Conv2d c -> {
          tensors.add(TensorSpec.of("layer" + i + ".weight", c.filters(), shape.get(0), c.kernel(), c.kernel()));
          tensors.add(TensorSpec.of("layer" + i + ".bias", c.filters()));
        }
        case Layer.Relu r -> {}
        case Layer.Tanh t -> {}
        case Layer.Sigmoid s -> {}
        case Layer.Dropout d -> {}
        case Layer.MaxPool2d m -> {}
        case Layer.Flatten f -> {}
      }
      shape = out;
    }
    if (tensors.isEmpty()) {
      throw new InvalidRequestException("INVALID_MODEL_SPEC", "the model has no trainable layer; add a dense or conv2d layer");
    }
    return new ParameterLayout(tensors);
  }

  /**
   * Checks that this model fits data with the given input shape and label.
   *
   * @throws InvalidRequestException with code {@code MODEL_SPEC_MISMATCH} saying what does not fit
   */
  public void checkFits(List<Integer> inputShape, LabelInfo label) {
    List<Integer> out = outputShape(inputShape);
    parameterLayout(inputShape);
    if (out.size() != 1) {
      throw new InvalidRequestException("MODEL_SPEC_MISMATCH", "the model's output must be flat but is " + out + "; add a flatten and a dense layer");
    }
    int width = out.get(0);
    switch (loss) {
      case SOFTMAX_CROSS_ENTROPY -> {
        if (label.kind() != LabelKind.CATEGORICAL) {
          throw new InvalidRequestException("MODEL_SPEC_MISMATCH", "softmax_cross_entropy needs a categorical label, but '" + label.column() + "' is continuous; use mse");
        }
        if (width != label.numClasses()) {
          throw new InvalidRequestException(
              "MODEL_SPEC_MISMATCH",
              "the model outputs " + width + " values but label '" + label.column() + "' has " + label.numClasses()
                  + " classes; make the last dense layer " + label.numClasses() + " units wide");
        }
      }
      case BINARY_CROSS_ENTROPY -> {
        if (label.kind() != LabelKind.CATEGORICAL || label.numClasses() > 2) {
          throw new InvalidRequestException(
              "MODEL_SPEC_MISMATCH",
              "binary_cross_entropy needs a label with values 0 and 1, but '" + label.column() + "' "
                  + (label.kind() == LabelKind.CATEGORICAL ? "has " + label.numClasses() + " classes; use softmax_cross_entropy" : "is continuous; use mse"));
        }
        if (width != 1) {
          throw new InvalidRequestException("MODEL_SPEC_MISMATCH", "binary_cross_entropy needs one output but the model has " + width + "; make the last dense layer 1 unit wide");
        }
      }
      case MSE -> {
        if (width != 1) {
          throw new InvalidRequestException("MODEL_SPEC_MISMATCH", "mse needs one output but the model has " + width + "; make the last dense layer 1 unit wide");
        }
      }
    }
  }

  private static List<Integer> checkInput(List<Integer> inputShape) {
    if (inputShape == null || inputShape.isEmpty()) {
      throw new InvalidRequestException("MODEL_SPEC_MISMATCH", "the data has no input shape");
    }
    return List.copyOf(inputShape);
  }
}
