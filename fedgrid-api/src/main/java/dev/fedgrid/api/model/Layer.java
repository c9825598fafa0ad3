package dev.fedgrid.api.model;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.fedgrid.api.InvalidRequestException;
import java.util.List;

/**
 * One layer of a {@link ModelSpec}. In JSON a layer is an object with a {@code type}, for example
 * {@code {"type": "dense", "units": 16}} or {@code {"type": "relu"}}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
  @JsonSubTypes.Type(value = Layer.Dense.class, name = "dense"),
  @JsonSubTypes.Type(value = Layer.Relu.class, name = "relu"),
  @JsonSubTypes.Type(value = Layer.Tanh.class, name = "tanh"),
  @JsonSubTypes.Type(value = Layer.Sigmoid.class, name = "sigmoid"),
  @JsonSubTypes.Type(value = Layer.Dropout.class, name = "dropout"),
  @JsonSubTypes.Type(value = Layer.Conv2d.class, name = "conv2d"),
  @JsonSubTypes.Type(value = Layer.MaxPool2d.class, name = "maxpool2d"),
  @JsonSubTypes.Type(value = Layer.Flatten.class, name = "flatten")
})
public sealed interface Layer {
  /** Largest dimension a layer may declare (units, filters, kernel). */
  int MAX_DIMENSION = 1 << 16;

  /**
   * The output shape for an input of the given shape.
   *
   * @throws InvalidRequestException when the layer cannot take that input
   */
  List<Integer> outputShape(List<Integer> input);

  /** Fully connected: {@code y = x W^T + b}; weight {@code [units, in]}, bias {@code [units]}. */
  record Dense(int units) implements Layer {
    public Dense {
      checkDimension("dense units", units);
    }

    @Override
    public List<Integer> outputShape(List<Integer> input) {
      if (input.size() != 1) {
        throw new InvalidRequestException(
            "MODEL_SPEC_MISMATCH", "a dense layer needs a flat input but gets shape " + input + "; add a flatten layer before it");
      }
      return List.of(units);
    }
  }

  record Relu() implements Layer {
    @Override
    public List<Integer> outputShape(List<Integer> input) {
      return input;
    }
  }

  record Tanh() implements Layer {
    @Override
    public List<Integer> outputShape(List<Integer> input) {
      return input;
    }
  }

  record Sigmoid() implements Layer {
    @Override
    public List<Integer> outputShape(List<Integer> input) {
      return input;
    }
  }

  /** Drops each activation with probability {@code rate} during training only. */
  record Dropout(double rate) implements Layer {
    public Dropout {
      if (!(rate >= 0 && rate < 1)) {
        throw new InvalidRequestException("INVALID_MODEL_SPEC", "dropout rate must be in [0, 1), got " + rate);
      }
    }

    @Override
    public List<Integer> outputShape(List<Integer> input) {
      return input;
    }
  }

  /**
   * 2-D convolution over an input {@code [channels, height, width]}; weight {@code [filters,
   * channels, kernel, kernel]}, bias {@code [filters]}. Stride defaults to 1, padding to 0.
   */
  record Conv2d(int filters, int kernel, Integer stride, Integer padding) implements Layer {
    public Conv2d {
      checkDimension("conv2d filters", filters);
      checkDimension("conv2d kernel", kernel);
      stride = stride == null ? 1 : stride;
      padding = padding == null ? 0 : padding;
      checkDimension("conv2d stride", stride);
      if (padding < 0 || padding >= kernel) {
        throw new InvalidRequestException("INVALID_MODEL_SPEC", "conv2d padding must be in [0, kernel), got " + padding);
      }
    }

    @Override
    public List<Integer> outputShape(List<Integer> input) {
      if (input.size() != 3) {
        throw new InvalidRequestException(
            "MODEL_SPEC_MISMATCH", "conv2d needs an input [channels, height, width] but gets " + input);
      }
      int h = (input.get(1) + 2 * padding - kernel) / stride + 1;
      int w = (input.get(2) + 2 * padding - kernel) / stride + 1;
      if (h <= 0 || w <= 0) {
        throw new InvalidRequestException("MODEL_SPEC_MISMATCH", "conv2d kernel " + kernel + " is larger than its input " + input);
      }
      return List.of(filters, h, w);
    }
  }

  /** Max pooling over {@code [channels, height, width]}; stride defaults to the kernel size. */
  record MaxPool2d(int kernel, Integer stride) implements Layer {
    public MaxPool2d {
      checkDimension("maxpool2d kernel", kernel);
      stride = stride == null ? kernel : stride;
      checkDimension("maxpool2d stride", stride);
    }

    @Override
    public List<Integer> outputShape(List<Integer> input) {
      if (input.size() != 3) {
        throw new InvalidRequestException(
            "MODEL_SPEC_MISMATCH", "maxpool2d needs an input [channels, height, width] but gets " + input);
      }
      int h = (input.get(1) - kernel) / stride + 1;
      int w = (input.get(2) - kernel) / stride + 1;
      if (h <= 0 || w <= 0) {
        throw new InvalidRequestException("MODEL_SPEC_MISMATCH", "maxpool2d kernel " + kernel + " is larger than its input " + input);
      }
      return List.of(input.get(0), h, w);
    }
  }

  /** Flattens any input into one dimension. */
  record Flatten() implements Layer {
    @Override
    public List<Integer> outputShape(List<Integer> input) {
      int size = 1;
      for (int d : input) size *= d;
      return List.of(size);
    }
  }

  private static void checkDimension(String what, int value) {
    if (value <= 0 || value > MAX_DIMENSION) {
      throw new InvalidRequestException("INVALID_MODEL_SPEC", what + " must be in [1, " + MAX_DIMENSION + "], got " + value);
    }
  }
}
