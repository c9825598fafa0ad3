package dev.fedgrid.core.aggregate;

/** {@link FoldKernel} as plain loops, for JVMs without the Vector API. Stateless, thread-safe. */
final class PlainFold implements FoldKernel {
  static final PlainFold INSTANCE = new PlainFold();

  private PlainFold() {}

  @Override
  public void fold1(float[] acc, float keep, float[] u0, float c0) {
    fold1From(0, acc, keep, u0, c0);
  }

  @Override
  public void fold2(float[] acc, float keep, float[] u0, float c0, float[] u1, float c1) {
    fold2From(0, acc, keep, u0, c0, u1, c1);
  }

  @Override
  public void fold4(float[] acc, float keep, float[] u0, float c0, float[] u1, float c1, float[] u2, float c2, float[] u3, float c3) {
    fold4From(0, acc, keep, u0, c0, u1, c1, u2, c2, u3, c3);
  }

  // The *From methods also finish the tail that VectorFold leaves after its last full vector.

  static void fold1From(int from, float[] acc, float keep, float[] u0, float c0) {
    for (int i = from; i < acc.length; i++) {
      acc[i] = acc[i] * keep + c0 * u0[i];
    }
  }

  static void fold2From(int from, float[] acc, float keep, float[] u0, float c0, float[] u1, float c1) {
    for (int i = from; i < acc.length; i++) {
      acc[i] = acc[i] * keep + c0 * u0[i] + c1 * u1[i];
    }
  }

  static void fold4From(
      int from, float[] acc, float keep, float[] u0, float c0, float[] u1, float c1, float[] u2, float c2, float[] u3, float c3) {
    for (int i = from; i < acc.length; i++) {
      acc[i] = acc[i] * keep + c0 * u0[i] + c1 * u1[i] + c2 * u2[i] + c3 * u3[i];
    }
  }
}
