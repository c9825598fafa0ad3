package dev.fedgrid.core.aggregate;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link FoldKernel} with the Vector API: {@code FloatVector.SPECIES_PREFERRED} lanes at a time
 * (16 floats with AVX-512, 8 with AVX2), then a scalar tail for the last {@code n mod lanes}
 * elements. Stateless, thread-safe.
 *
 * <p>Only referenced through {@link Kernel#implementation()} after checking that the module is
 * present, so that a JVM without {@code jdk.incubator.vector} never loads this class.
 */
final class VectorFold implements FoldKernel {
  static final VectorFold INSTANCE = new VectorFold();

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

  private VectorFold() {}

  @Override
  public void fold1(float[] acc, float keep, float[] u0, float c0) {
    int bound = F.loopBound(acc.length);
    FloatVector k = FloatVector.broadcast(F, keep);
    FloatVector v0 = FloatVector.broadcast(F, c0);
    for (int i = 0; i < bound; i += F.length()) {
      FloatVector a = FloatVector.fromArray(F, acc, i).mul(k);
      a = a.add(FloatVector.fromArray(F, u0, i).mul(v0));
      a.intoArray(acc, i);
    }
    PlainFold.fold1From(bound, acc, keep, u0, c0);
  }

  @Override
  public void fold2(float[] acc, float keep, float[] u0, float c0, float[] u1, float c1) {
    int bound = F.loopBound(acc.length);
    FloatVector k = FloatVector.broadcast(F, keep);
    FloatVector v0 = FloatVector.broadcast(F, c0);
    FloatVector v1 = FloatVector.broadcast(F, c1);
    for (int i = 0; i < bound; i += F.length()) {
      FloatVector a = FloatVector.fromArray(F, acc, i).mul(k);
      a = a.add(FloatVector.fromArray(F, u0, i).mul(v0));
      a = a.add(FloatVector.fromArray(F, u1, i).mul(v1));
      a.intoArray(acc, i);
    }
    PlainFold.fold2From(bound, acc, keep, u0, c0, u1, c1);
  }

  @Override
  public void fold4(float[] acc, float keep, float[] u0, float c0, float[] u1, float c1, float[] u2, float c2, float[] u3, float c3) {
    int bound = F.loopBound(acc.length);
    FloatVector k = FloatVector.broadcast(F, keep);
    FloatVector v0 = FloatVector.broadcast(F, c0);
    FloatVector v1 = FloatVector.broadcast(F, c1);
    FloatVector v2 = FloatVector.broadcast(F, c2);
    FloatVector v3 = FloatVector.broadcast(F, c3);
    for (int i = 0; i < bound; i += F.length()) {
      FloatVector a = FloatVector.fromArray(F, acc, i).mul(k);
      a = a.add(FloatVector.fromArray(F, u0, i).mul(v0));
      a = a.add(FloatVector.fromArray(F, u1, i).mul(v1));
      a = a.add(FloatVector.fromArray(F, u2, i).mul(v2));
      a = a.add(FloatVector.fromArray(F, u3, i).mul(v3));
      a.intoArray(acc, i);
    }
    PlainFold.fold4From(bound, acc, keep, u0, c0, u1, c1, u2, c2, u3, c3);
  }
}
