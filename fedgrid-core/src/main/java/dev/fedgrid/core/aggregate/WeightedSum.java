package dev.fedgrid.core.aggregate;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.UnavailableException;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * A streaming weighted mean of equally long float vectors, in memory independent of how many are
 * added: the kernel under every strategy's aggregation.
 *
 * <h2>Algorithm</h2>
 *
 * A running weighted mean (West 1979, "Updating mean and variance estimates: an improved method",
 * CACM 22(9)), folded four updates per pass. Updates are buffered by reference until four are
 * pending; then one pass over the {@code d} elements computes, with {@code W} the weight folded
 * so far and {@code W' = W + w0 + w1 + w2 + w3},
 *
 * <pre>
 *   acc[i] = acc[i] * (W / W') + (w0 / W') * u0[i] + (w1 / W') * u1[i] + (w2 / W') * u2[i] + (w3 / W') * u3[i]
 * </pre>
 *
 * so {@code acc} always holds the weighted mean of what has been folded. {@link #mean()} folds what
 * is still pending (in passes of two and one) and copies {@code acc}. The pass is bound by memory
 * bandwidth: it reads 4 updates and the accumulator and writes the accumulator, 24 bytes per
 * element for 16 bytes of updates, where folding one update per pass would move 12 bytes per 4
 * bytes of update; {@code docs/benchmarks.md} gives the measured throughput.
 *
 * <p>Cost: {@code O(n d)} time for {@code n} updates of {@code d} elements, {@code O(d)} memory
 * (the accumulator) plus references to at most three pending updates.
 *
 * <h2>Precision</h2>
 *
 * Accumulation is in float, the models' own precision. The coefficients {@code w / W'} are computed
 * in double and rounded once. Each pass adds a few rounding errors of relative size {@code 2^-24}
 * per element, so, as for recursive summation (Higham, "Accuracy and Stability of Numerical
 * Algorithms", 2nd ed., section 4.2), the error after {@code n} updates is bounded by a small
 * multiple of {@code n 2^-24} times the weighted mean of the absolute values, and is typically of
 * the order of {@code sqrt(n) 2^-24}. Because the coefficients never exceed one, the accumulator
 * cannot overflow unless inputs come within a few units in the last place of {@code
 * Float.MAX_VALUE}. A single update comes back exactly, and two updates of equal weight (and no
 * others) give their correctly rounded mean outside the subnormal range.
 * Double accumulators took about 30% longer per pass in a JMH comparison on a 2-core AVX-512
 * machine and would double the memory, for precision beyond what float models can use.
 *
 * <p>Both {@link Kernel}s perform the same float operations in the same order, so they produce
 * bit-identical results.
 *
 * <p>Not thread-safe: one thread adds at a time. The caller must not modify an array after passing
 * it to {@link #add}, since it may be read later (as with {@link dev.fedgrid.api.model.Parameters}).
 */
public final class WeightedSum {
  private static final int BATCH = 4;

  private final FoldKernel kernel;
  private final Kernel kind;
  private final float[] acc;
  private final float[][] pending = new float[BATCH][];
  private final double[] pendingWeights = new double[BATCH];
  private int pendingCount;
  private double foldedWeight;
  private double totalWeight;
  private int count;

  /**
   * A weighted mean of vectors of {@code size} elements, folded by {@link Kernel#preferred()}.
   *
   * @param size the number of elements of every vector
   * @throws InvalidRequestException when {@code size} is negative
   */
  public WeightedSum(int size) {
    this(size, Kernel.preferred());
  }

  /**
   * A weighted mean of vectors of {@code size} elements, folded by the given kernel.
   *
   * @param size the number of elements of every vector
   * @param kernel the loop implementation
   * @throws InvalidRequestException when {@code size} is negative
   * @throws UnavailableException with code {@code VECTOR_API_UNAVAILABLE} when {@code kernel} is
   *     {@link Kernel#VECTOR} and the JVM runs without {@code jdk.incubator.vector}
   */
  public WeightedSum(int size, Kernel kernel) {
    Objects.requireNonNull(kernel, "kernel");
    if (size < 0) {
      throw new InvalidRequestException("INVALID_SIZE", "a weighted sum needs a size of at least 0, got " + size);
    }
    if (!kernel.isAvailable()) {
      throw new UnavailableException(
          "VECTOR_API_UNAVAILABLE",
          "the vector kernel needs the jdk.incubator.vector module; start java with --add-modules jdk.incubator.vector or use Kernel.PLAIN");
    }
    this.kind = kernel;
    this.kernel = kernel.implementation();
    this.acc = new float[size];
  }

  /**
   * Adds one vector with a weight, such as a node's parameters weighted by its number of examples.
   * Values are not checked for NaN or infinity: a non-finite value makes the mean non-finite, so
   * callers validate untrusted input first.
   *
   * @param values {@code size} elements; kept by reference until folded, so must not change
   * @param weight a finite weight greater than zero
   * @throws InvalidRequestException with code {@code SHAPE_MISMATCH} or {@code INVALID_WEIGHT};
   *     the sum is unchanged
   */
  public void add(float[] values, double weight) {
    Objects.requireNonNull(values, "values");
    if (values.length != acc.length) {
      throw new InvalidRequestException(
          "SHAPE_MISMATCH",
          "the update has " + values.length + " values but this sum adds vectors of " + acc.length,
          Map.of("expected", acc.length, "actual", values.length));
    }
    if (!(weight > 0) || !Double.isFinite(weight) || !Double.isFinite(totalWeight + weight)) {
      throw new InvalidRequestException(
          "INVALID_WEIGHT", "an update's weight must be finite and greater than zero, got " + weight + "; weigh updates by their number of examples");
    }
    pending[pendingCount] = values;
    pendingWeights[pendingCount] = weight;
    pendingCount++;
    totalWeight += weight;
    count++;
    if (pendingCount == BATCH) {
      fold(0, BATCH);
      pendingCount = 0;
    }
  }

  /**
   * The weighted mean of the vectors added so far, as a new array: {@code sum(w_k u_k) / sum(w_k)}
   * within the precision stated on this class. Further vectors may still be added afterwards.
   *
   * @throws UnavailableException with code {@code NO_UPDATES} when nothing was added
   */
  public float[] mean() {
    if (count == 0) {
      throw new UnavailableException("NO_UPDATES", "the weighted mean of zero updates is undefined; add at least one update first");
    }
    int done = 0;
    if (pendingCount - done >= 2) {
      fold(done, 2);
      done += 2;
    }
    if (pendingCount - done == 1) {
      fold(done, 1);
    }
    pendingCount = 0;
    return Arrays.copyOf(acc, acc.length);
  }

  /** The sum of the weights added so far. */
  public double totalWeight() {
    return totalWeight;
  }

  /** The number of vectors added so far. */
  public int count() {
    return count;
  }

  /** The number of elements of every vector. */
  public int size() {
    return acc.length;
  }

  /** The kernel that folds the updates. */
  public Kernel kernel() {
    return kind;
  }

  /** Folds {@code pending[from .. from + k)} into {@code acc} in one pass and drops the references. */
  private void fold(int from, int k) {
    double after = foldedWeight;
    for (int j = from; j < from + k; j++) after += pendingWeights[j];
    float keep = (float) (foldedWeight / after);
    float c0 = (float) (pendingWeights[from] / after);
    switch (k) {
      case 1 -> kernel.fold1(acc, keep, pending[from], c0);
      case 2 -> kernel.fold2(acc, keep, pending[from], c0, pending[from + 1], (float) (pendingWeights[from + 1] / after));
      case 4 ->
          kernel.fold4(
              acc,
              keep,
              pending[from],
              c0,
              pending[from + 1],
              (float) (pendingWeights[from + 1] / after),
              pending[from + 2],
              (float) (pendingWeights[from + 2] / after),
              pending[from + 3],
              (float) (pendingWeights[from + 3] / after));
      default -> throw new IllegalStateException("no kernel folds " + k + " updates");
    }
    foldedWeight = after;
    for (int j = from; j < from + k; j++) pending[j] = null;
  }
}
