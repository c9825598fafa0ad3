package dev.fedgrid.ml;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.SplittableRandom;

/**
 * Inverted dropout whose mask comes from its own seeded generator: during training each activation
 * is zeroed with probability {@code rate} and the others are scaled by {@code 1 / (1 - rate)}; at
 * evaluation it is the identity.
 *
 * <p>DJL's {@code Dropout} draws from PyTorch's process-wide generator, so two tasks training at
 * once would disturb each other's masks and a fit would not be reproducible under its seed. Drawing
 * the mask in Java costs one random number per activation, small next to the matrix products.
 *
 * <p>Not thread-safe: one instance belongs to one task's model.
 */
final class SeededDropout extends AbstractBlock {
  private final float rate;
  private final SplittableRandom random;

  SeededDropout(double rate, long seed) {
    this.rate = (float) rate;
    this.random = new SplittableRandom(seed);
  }

  @Override
  protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
    NDArray x = inputs.singletonOrThrow();
    if (!training || rate == 0f) return new NDList(x);
    float keep = 1f / (1f - rate);
    float[] mask = new float[Math.toIntExact(x.size())];
    for (int i = 0; i < mask.length; i++) mask[i] = random.nextDouble() < rate ? 0f : keep;
    return new NDList(x.mul(x.getManager().create(mask, x.getShape())));
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return inputShapes;
  }
}
