package dev.fedgrid.core.aggregate;

/**
 * One pass of the running weighted mean over {@code acc}: for every index {@code i},
 *
 * <pre>
 *   acc[i] = ((((acc[i] * keep) + c0 * u0[i]) + c1 * u1[i]) + c2 * u2[i]) + c3 * u3[i]
 * </pre>
 *
 * evaluated left to right in float, with the variants for one and two updates dropping the missing
 * terms. Implementations must keep exactly this order of operations (and no fused multiply-add),
 * so that every implementation gives bit-identical results.
 *
 * <p>Implementations are stateless and thread-safe; the arrays must all have {@code acc.length}
 * elements (the caller checks).
 */
interface FoldKernel {
  void fold1(float[] acc, float keep, float[] u0, float c0);

  void fold2(float[] acc, float keep, float[] u0, float c0, float[] u1, float c1);

  void fold4(float[] acc, float keep, float[] u0, float c0, float[] u1, float c1, float[] u2, float c2, float[] u3, float c3);
}
