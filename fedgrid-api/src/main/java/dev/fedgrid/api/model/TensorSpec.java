package dev.fedgrid.api.model;

import dev.fedgrid.api.InvalidRequestException;
import java.util.List;

/**
 * The name and shape of one tensor of a model's parameters, such as {@code layer0.weight} with
 * shape {@code [16, 30]}.
 */
public record TensorSpec(String name, List<Integer> shape) {
  /** Longest allowed tensor name. */
  public static final int MAX_NAME_LENGTH = 128;

  public TensorSpec {
    if (name == null || name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
      throw new InvalidRequestException("INVALID_TENSOR", "a tensor name must have 1 to " + MAX_NAME_LENGTH + " characters");
    }
    if (shape == null) {
      throw new InvalidRequestException("INVALID_TENSOR", "tensor " + name + " has no shape");
    }
    shape = List.copyOf(shape);
    long size = 1;
    for (int d : shape) {
      if (d <= 0) {
        throw new InvalidRequestException("INVALID_TENSOR", "tensor " + name + " has a non-positive dimension in " + shape);
      }
      size *= d;
      if (size > Integer.MAX_VALUE - 8) {
        throw new InvalidRequestException("INVALID_TENSOR", "tensor " + name + " " + shape + " has more than 2^31 elements");
      }
    }
  }

  public static TensorSpec of(String name, int... shape) {
    return new TensorSpec(name, java.util.Arrays.stream(shape).boxed().toList());
  }

  /** Number of elements: the product of the dimensions (1 for a scalar). */
  public int size() {
    int size = 1;
    for (int d : shape) size *= d;
    return size;
  }
}
