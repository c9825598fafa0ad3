package dev.fedgrid.api.model;

import dev.fedgrid.api.InvalidRequestException;
import java.util.HashSet;
import java.util.List;

/**
 * The ordered list of tensors that make up a model's parameters. A model's parameters travel and
 * are aggregated as one flat {@code float[]}: the tensors' elements one after another, in this
 * order, each tensor row-major.
 */
public record ParameterLayout(List<TensorSpec> tensors) {
  public ParameterLayout {
    if (tensors == null || tensors.isEmpty()) {
      throw new InvalidRequestException("INVALID_TENSOR", "a parameter layout needs at least one tensor");
    }
    tensors = List.copyOf(tensors);
    var names = new HashSet<String>();
    long total = 0;
    for (TensorSpec t : tensors) {
      if (!names.add(t.name())) {
        throw new InvalidRequestException("INVALID_TENSOR", "tensor name " + t.name() + " appears twice");
      }
      total += t.size();
    }
    if (total > Integer.MAX_VALUE - 8) {
      throw new InvalidRequestException("INVALID_TENSOR", "a model may have at most 2^31 parameters, this one has " + total);
    }
  }

  /** Total number of float elements over all tensors. */
  public int size() {
    int size = 0;
    for (TensorSpec t : tensors) size += t.size();
    return size;
  }

  /** Offset of tensor {@code index} in the flat array. */
  public int offset(int index) {
    int offset = 0;
    for (int i = 0; i < index; i++) offset += tensors.get(i).size();
    return offset;
  }
}
