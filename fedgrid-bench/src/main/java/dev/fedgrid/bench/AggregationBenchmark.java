package dev.fedgrid.bench;

import dev.fedgrid.core.aggregate.Kernel;
import dev.fedgrid.core.aggregate.WeightedSum;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of the aggregation kernel, in two shapes, each with the Vector API and the plain-loop
 * kernel:
 *
 * <ul>
 *   <li>{@code fold*}: the steady state of a long round, {@value #UPDATES} more updates added to a
 *       {@link WeightedSum} that lives across operations (two passes of four updates);
 *   <li>{@code round*}: a whole round of {@value #UPDATES} updates, a new {@link WeightedSum}, the
 *       adds and {@link WeightedSum#mean()}; this also allocates (zeroes) the accumulator and copies
 *       the mean out, a fixed cost per round that matters less the more nodes a round has.
 * </ul>
 *
 * Every operation consumes {@code 8 * 4 * size} bytes of updates (32 MB for 1 Mi floats).
 * {@link #readBaseline()} only reads the same updates (a SIMD sum with four independent
 * accumulators), close to the best any kernel that reads every update byte can do; the ratio of a
 * kernel's throughput to it shows how much of the read bandwidth the kernel achieves. A fold pass
 * also reads and writes the accumulator once per four updates (24 bytes moved per 16 bytes of
 * updates).
 *
 * <p>Run with {@code java --add-modules jdk.incubator.vector -jar fedgrid-bench/target/benchmarks.jar
 * Aggregation}, or through {@link AggregationReport}, which converts the times to GB/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx4g"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class AggregationBenchmark {
  /** Updates folded per operation. */
  public static final int UPDATES = 8;

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

  /**
   * Floats per update: 1 Mi (4 MB, a small CNN) keeps all updates in a large last-level cache; 16 Mi
   * (64 MB, 512 MB in all) does not on most machines.
   */
  @Param({"1048576", "16777216"})
  public int size;

  private float[][] updates;
  private double[] weights;
  private WeightedSum vectorSum;
  private WeightedSum plainSum;

  @Setup
  public void setUp() {
    var rng = new SplittableRandom(2026);
    updates = new float[UPDATES][size];
    weights = new double[UPDATES];
    for (int k = 0; k < UPDATES; k++) {
      for (int i = 0; i < size; i++) updates[k][i] = (float) rng.nextDouble(-1, 1);
      weights[k] = 1 + rng.nextInt(1000);
    }
    vectorSum = new WeightedSum(size, Kernel.VECTOR);
    plainSum = new WeightedSum(size, Kernel.PLAIN);
  }

  /** Bytes of updates one operation consumes. */
  public static long bytesPerOperation(int size) {
    return 4L * size * UPDATES;
  }

  @Benchmark
  public WeightedSum foldVector() {
    return addAll(vectorSum);
  }

  @Benchmark
  public WeightedSum foldPlain() {
    return addAll(plainSum);
  }

  @Benchmark
  public float[] roundVector() {
    return addAll(new WeightedSum(size, Kernel.VECTOR)).mean();
  }

  @Benchmark
  public float[] roundPlain() {
    return addAll(new WeightedSum(size, Kernel.PLAIN)).mean();
  }

  private WeightedSum addAll(WeightedSum sum) {
    for (int k = 0; k < UPDATES; k++) sum.add(updates[k], weights[k]);
    return sum;
  }

  @Benchmark
  public float readBaseline() {
    FloatVector s0 = FloatVector.zero(F);
    FloatVector s1 = FloatVector.zero(F);
    FloatVector s2 = FloatVector.zero(F);
    FloatVector s3 = FloatVector.zero(F);
    float tail = 0;
    int step = F.length();
    for (float[] u : updates) {
      int bound = u.length - u.length % (4 * step);
      for (int i = 0; i < bound; i += 4 * step) {
        s0 = s0.add(FloatVector.fromArray(F, u, i));
        s1 = s1.add(FloatVector.fromArray(F, u, i + step));
        s2 = s2.add(FloatVector.fromArray(F, u, i + 2 * step));
        s3 = s3.add(FloatVector.fromArray(F, u, i + 3 * step));
      }
      for (int i = bound; i < u.length; i++) tail += u[i];
    }
    return s0.add(s1).add(s2).add(s3).reduceLanes(VectorOperators.ADD) + tail;
  }
}
