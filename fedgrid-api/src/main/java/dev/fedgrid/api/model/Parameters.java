package dev.fedgrid.api.model;

import dev.fedgrid.api.InvalidRequestException;
import java.util.Arrays;
import java.util.Objects;

/**
 * A model's parameters: a {@link ParameterLayout} and the flat float values it describes.
 *
 * <p>The array is shared, not copied, so that multi-megabyte models are not duplicated on hot
 * paths: whoever builds a {@code Parameters} hands over the array and must not change it
 * afterwards, and readers must not write to {@link #values()}. Immutable under that convention,
 * and then safe to share between threads.
 */
public final class Parameters {
  private final ParameterLayout layout;
  private final float[] values;

  /**
   * @throws InvalidRequestException when the array length differs from the layout's size
   */
  public Parameters(ParameterLayout layout, float[] values) {
    this.layout = Objects.requireNonNull(layout, "layout");
    this.values = Objects.requireNonNull(values, "values");
    if (values.length != layout.size()) {
      throw new InvalidRequestException(
          "SHAPE_MISMATCH",
          "parameters hold " + values.length + " values but the layout needs " + layout.size());
    }
  }

  public ParameterLayout layout() {
    return layout;
  }

  /** The flat values; do not modify. */
  public float[] values() {
    return values;
  }

  /** Index of the first value that is NaN or infinite, or -1 when all are finite. */
  public int firstNonFinite() {
    for (int i = 0; i < values.length; i++) {
      if (!Float.isFinite(values[i])) return i;
    }
    return -1;
  }

  /** The values of the tensor at {@code index}, copied. */
  public float[] tensor(int index) {
    int from = layout.offset(index);
    return Arrays.copyOfRange(values, from, from + layout.tensors().get(index).size());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Parameters p && layout.equals(p.layout) && Arrays.equals(values, p.values);
  }

  @Override
  public int hashCode() {
    return 31 * layout.hashCode() + Arrays.hashCode(values);
  }

  @Override
  public String toString() {
    return "Parameters[" + layout.tensors().size() + " tensors, " + values.length + " values]";
  }
}
