package dev.fedgrid.core.init;

import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TensorSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Initial parameters for a model, drawn the way PyTorch initializes its layers by default, so that
 * a job's round 1 starts where a data scientist's local experiment would.
 *
 * <p>PyTorch's {@code nn.Linear} and {@code nn.Conv2d} call {@code kaiming_uniform_(weight,
 * a=sqrt(5))}, whose bound {@code gain * sqrt(3 / fan_in)} with {@code gain = sqrt(2 / (1 + 5))}
 * simplifies to {@code 1 / sqrt(fan_in)}, and draw their bias from the same {@code U(-b, b)}. Here:
 *
 * <ul>
 *   <li>a tensor named {@code <prefix>.weight} gets {@code U(-b, b)} with {@code b = 1 /
 *       sqrt(fan_in)}, {@code fan_in} being the product of all its dimensions but the first
 *       ({@code in} for a dense {@code [out, in]} weight, {@code in * kh * kw} for a convolution);
 *   <li>a tensor named {@code <prefix>.bias} gets {@code U(-b, b)} with the {@code fan_in} of
 *       {@code <prefix>.weight}, or zeros when the layout has no such weight;
 *   <li>any other tensor gets zeros.
 * </ul>
 *
 * <p>Deterministic: the same layout and seed give the same values on every machine and JDK. Each
 * tensor draws from its own {@link SplittableRandom} split off one seeded by {@code seed}, in layout
 * order. {@code O(d)} time. Thread-safe (stateless).
 */
public final class Initializers {
  private static final String WEIGHT = ".weight";
  private static final String BIAS = ".bias";

  private Initializers() {}

  /**
   * Parameters for {@code layout} initialized as described on this class.
   *
   * @param layout the model's tensors
   * @param seed the random seed; equal seeds give equal parameters
   */
  public static Parameters initialize(ParameterLayout layout, long seed) {
    Objects.requireNonNull(layout, "layout");
    List<TensorSpec> tensors = layout.tensors();
    Map<String, Integer> fanIns = new HashMap<>();
    for (TensorSpec t : tensors) {
      if (t.name().endsWith(WEIGHT)) {
        fanIns.put(t.name().substring(0, t.name().length() - WEIGHT.length()), fanIn(t));
      }
    }
    float[] values = new float[layout.size()];
    SplittableRandom root = new SplittableRandom(seed);
    int offset = 0;
    for (TensorSpec t : tensors) {
      SplittableRandom rng = root.split();
      Integer fanIn = null;
      if (t.name().endsWith(WEIGHT)) {
        fanIn = fanIn(t);
      } else if (t.name().endsWith(BIAS)) {
        fanIn = fanIns.get(t.name().substring(0, t.name().length() - BIAS.length()));
      }
      if (fanIn != null) {
        double bound = 1.0 / Math.sqrt(fanIn);
        for (int i = 0; i < t.size(); i++) {
          values[offset + i] = (float) (bound * (2 * rng.nextDouble() - 1));
        }
      }
      offset += t.size();
    }
    return new Parameters(layout, values);
  }

  /** Product of all dimensions but the first; 1 for a tensor of rank 0 or 1. */
  static int fanIn(TensorSpec t) {
    int fanIn = 1;
    List<Integer> shape = t.shape();
    for (int i = 1; i < shape.size(); i++) fanIn *= shape.get(i);
    return fanIn;
  }
}
