package dev.fedgrid.ml;

import dev.fedgrid.api.model.Layer;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Parameters;
import java.util.List;

/**
 * A plain-Java forward pass over a {@link ModelSpec} that reads the flat parameters exactly as
 * {@link ModelSpec#parameterLayout} documents them; the yardstick for an engine's layout.
 */
final class ReferenceModel {
  private ReferenceModel() {}

  /** The model's outputs for one example {@code x} of {@code shape} (dropout is the identity). */
  static double[] forward(ModelSpec spec, Parameters parameters, float[] x, List<Integer> shape) {
    double[] a = new double[x.length];
    for (int i = 0; i < x.length; i++) a[i] = x[i];
    List<Integer> s = shape;
    int tensor = 0;
    float[] p = parameters.values();
    for (Layer layer : spec.layers()) {
      List<Integer> out = layer.outputShape(s);
      switch (layer) {
        case Layer.Dense d -> {
          int w = parameters.layout().offset(tensor);
          int b = parameters.layout().offset(tensor + 1);
          tensor += 2;
          int in = s.get(0);
          double[] y = new double[d.units()];
          for (int u = 0; u < d.units(); u++) {
            double sum = p[b + u];
            for (int i = 0; i < in; i++) sum += p[w + u * in + i] * a[i];
            y[u] = sum;
          }
          a = y;
        }
        case Layer.Conv2d c -> {
          int w = parameters.layout().offset(tensor);
          int b = parameters.layout().offset(tensor + 1);
          tensor += 2;
          int ch = s.get(0), h = s.get(1), wd = s.get(2), k = c.kernel(), oh = out.get(1), ow = out.get(2);
          double[] y = new double[c.filters() * oh * ow];
          for (int f = 0; f < c.filters(); f++) {
            for (int r = 0; r < oh; r++) {
              for (int q = 0; q < ow; q++) {
                double sum = p[b + f];
                for (int ci = 0; ci < ch; ci++) {
                  for (int i = 0; i < k; i++) {
                    for (int j = 0; j < k; j++) {
                      int row = r * c.stride() - c.padding() + i;
                      int col = q * c.stride() - c.padding() + j;
                      if (row < 0 || row >= h || col < 0 || col >= wd) continue;
                      sum += p[w + ((f * ch + ci) * k + i) * k + j] * a[(ci * h + row) * wd + col];
                    }
                  }
                }
                y[(f * oh + r) * ow + q] = sum;
              }
            }
          }
          a = y;
        }
        case Layer.MaxPool2d m -> {
          int ch = s.get(0), h = s.get(1), wd = s.get(2), oh = out.get(1), ow = out.get(2);
          double[] y = new double[ch * oh * ow];
          for (int ci = 0; ci < ch; ci++) {
            for (int r = 0; r < oh; r++) {
              for (int q = 0; q < ow; q++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int i = 0; i < m.kernel(); i++) {
                  for (int j = 0; j < m.kernel(); j++) max = Math.max(max, a[(ci * h + r * m.stride() + i) * wd + q * m.stride() + j]);
                }
                y[(ci * oh + r) * ow + q] = max;
              }
            }
          }
          a = y;
        }
        case Layer.Relu r -> a = map(a, v -> Math.max(v, 0));
        case Layer.Tanh t -> a = map(a, Math::tanh);
        case Layer.Sigmoid g -> a = map(a, v -> 1 / (1 + Math.exp(-v)));
        case Layer.Dropout d -> {}
        case Layer.Flatten f -> {}
      }
      s = out;
    }
    return a;
  }

  private static double[] map(double[] a, java.util.function.DoubleUnaryOperator f) {
    double[] y = new double[a.length];
    for (int i = 0; i < a.length; i++) y[i] = f.applyAsDouble(a[i]);
    return y;
  }
}
