package dev.fedgrid.ml;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import dev.fedgrid.api.model.Layer;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.TensorSpec;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link ModelSpec} built as a DJL {@link SequentialBlock} whose parameters hold given values.
 *
 * <p>DJL creates each layer's parameters in layer order, weight before bias, with the same shapes
 * as {@link ModelSpec#parameterLayout}: dense {@code [units, in]} and {@code [units]}, conv2d
 * {@code [filters, channels, k, k]} and {@code [filters]}. {@link #build} maps them by position and
 * checks every shape, so a change on either side fails loudly instead of scrambling weights.
 *
 * <p>Not thread-safe: a model belongs to one task, and its arrays to that task's manager.
 */
final class DjlModel {
  private final SequentialBlock block;
  private final List<Parameter> parameters;
  private final ParameterLayout layout;
  private final ParameterStore store;
  private final List<Integer> featureShape;

  private DjlModel(SequentialBlock block, List<Parameter> parameters, ParameterLayout layout, ParameterStore store, List<Integer> featureShape) {
    this.block = block;
    this.parameters = parameters;
    this.layout = layout;
    this.store = store;
    this.featureShape = featureShape;
  }

  /**
   * Builds the model for inputs of {@code featureShape} with parameters {@code values} (in {@code
   * layout}), allocating in {@code manager}; {@code seed} drives dropout.
   */
  static DjlModel build(ModelSpec spec, List<Integer> featureShape, ParameterLayout layout, float[] values, long seed, NDManager manager) {
    var block = new SequentialBlock();
    List<Layer> layers = spec.layers();
    for (int i = 0; i < layers.size(); i++) {
      block.add(
          switch (layers.get(i)) {
            case Layer.Dense d -> Linear.builder().setUnits(d.units()).build();
            case Layer.Relu r -> Activation.reluBlock();
            case Layer.Tanh t -> Activation.tanhBlock();
            case Layer.Sigmoid s -> Activation.sigmoidBlock();
            case Layer.Dropout d -> new SeededDropout(d.rate(), seed * 1_000_003L + i);
            case Layer.Conv2d c ->
                Conv2d.builder()
                    .setKernelShape(new Shape(c.kernel(), c.kernel()))
                    .optStride(new Shape(c.stride(), c.stride()))
                    .optPadding(new Shape(c.padding(), c.padding()))
                    .setFilters(c.filters())
                    .build();
            case Layer.MaxPool2d m -> Pool.maxPool2dBlock(new Shape(m.kernel(), m.kernel()), new Shape(m.stride(), m.stride()));
            case Layer.Flatten f -> Blocks.batchFlattenBlock();
          });
    }
    var parameters = new ArrayList<Parameter>();
    for (Pair<String, Parameter> p : block.getParameters()) parameters.add(p.getValue());
    List<TensorSpec> tensors = layout.tensors();
    if (parameters.size() != tensors.size()) {
      throw new TrainingException(
          "DJL built " + parameters.size() + " parameter tensors but the model spec's layout has " + tensors.size()
              + "; this layer combination is not supported by the DJL engine");
    }
    for (int i = 0; i < tensors.size(); i++) {
      TensorSpec tensor = tensors.get(i);
      int offset = layout.offset(i);
      parameters.get(i).setInitializer((m, shape, type) -> {
        if (!shape.equals(toShape(tensor.shape()))) {
          throw new TrainingException(
              "DJL shaped " + tensor.name() + " as " + shape + " but the model spec's layout says " + tensor.shape()
                  + "; this layer combination is not supported by the DJL engine");
        }
        return m.create(FloatBuffer.wrap(values, offset, tensor.size()), shape, DataType.FLOAT32);
      });
    }
    block.initialize(manager, DataType.FLOAT32, batchShape(1, featureShape));
    return new DjlModel(block, List.copyOf(parameters), layout, new ParameterStore(manager, false), List.copyOf(featureShape));
  }

  /** Runs a batch {@code (batch, ...featureShape)} through the model. */
  NDArray forward(NDArray input, boolean training) {
    return block.forward(store, new NDList(input), training).singletonOrThrow();
  }

  /** The parameter arrays, in layout order. */
  List<Parameter> parameters() {
    return parameters;
  }

  /** The current parameter values as one flat array in the layout. */
  float[] values() {
    float[] out = new float[layout.size()];
    for (int i = 0; i < parameters.size(); i++) {
      float[] tensor = parameters.get(i).getArray().toFloatArray();
      System.arraycopy(tensor, 0, out, layout.offset(i), tensor.length);
    }
    return out;
  }

  /** The shape of a batch of {@code size} examples. */
  Shape batchShape(int size) {
    return batchShape(size, featureShape);
  }

  private static Shape batchShape(int size, List<Integer> featureShape) {
    long[] dims = new long[featureShape.size() + 1];
    dims[0] = size;
    for (int i = 0; i < featureShape.size(); i++) dims[i + 1] = featureShape.get(i);
    return new Shape(dims);
  }

  private static Shape toShape(List<Integer> dims) {
    return new Shape(dims.stream().mapToLong(Integer::longValue).toArray());
  }
}
