package dev.fedgrid.core.aggregate;

/**
 * Which loop implementation folds updates into a {@link WeightedSum}.
 *
 * <p>Both kernels perform the same IEEE 754 float operations in the same order on every element,
 * so they produce bit-identical results; they differ only in how the loop is compiled. {@link
 * #VECTOR} is written with the incubating Vector API ({@code jdk.incubator.vector}) and is SIMD
 * whatever the JIT's heuristics decide; {@link #PLAIN} is an ordinary loop, the only one available
 * when the JVM runs without {@code --add-modules jdk.incubator.vector}. HotSpot's C2 compiler
 * auto-vectorizes the plain loop, and the two measured within noise of each other ({@code
 * docs/benchmarks.md}).
 *
 * <p>Thread-safe (immutable).
 */
public enum Kernel {
  /** SIMD loop over {@code FloatVector.SPECIES_PREFERRED} lanes; needs {@code jdk.incubator.vector}. */
  VECTOR,
  /** Plain scalar loop; always available. */
  PLAIN;

  /** System property that forces {@link #PLAIN} when set to {@code false}. */
  public static final String VECTOR_PROPERTY = "fedgrid.vector";

  private static final boolean VECTOR_MODULE_PRESENT =
      ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

  /**
   * The kernel {@link WeightedSum#WeightedSum(int)} uses: {@link #VECTOR} when the Vector API module
   * is present and the system property {@value #VECTOR_PROPERTY} is not {@code false}, otherwise
   * {@link #PLAIN}. The property is read on every call, so tests may flip it.
   */
  public static Kernel preferred() {
    boolean disabled = "false".equalsIgnoreCase(System.getProperty(VECTOR_PROPERTY));
    return VECTOR_MODULE_PRESENT && !disabled ? VECTOR : PLAIN;
  }

  /** Whether this kernel can run in this JVM. */
  public boolean isAvailable() {
    return this == PLAIN || VECTOR_MODULE_PRESENT;
  }

  /**
   * The implementation; {@code VectorFold} is only loaded (and with it the Vector API classes) when
   * this is {@link #VECTOR}, which callers check with {@link #isAvailable()} first.
   */
  FoldKernel implementation() {
    return this == VECTOR ? VectorFold.INSTANCE : PlainFold.INSTANCE;
  }
}
