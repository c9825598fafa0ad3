package dev.fedgrid.ml;

import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.model.Loss;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Optimizer;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TrainingConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Measures training speed by hand (not a test): milliseconds per step of a 784-128-10 MLP at batch
 * 64 (SGD with momentum) on random data, one task alone and {@code parallelism} tasks at once, and
 * the resident memory over many small fits. From the repository root:
 *
 * <pre>{@code
 * ./mvnw -q -pl fedgrid-ml test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/ml-cp.txt -Dmdep.includeScope=test
 * cd fedgrid-ml && java --enable-native-access=ALL-UNNAMED -cp target/classes:target/test-classes:$(cat /tmp/ml-cp.txt) \
 *     dev.fedgrid.ml.ThroughputCheck [rows, default 12800] [parallelism, default the number of cores]
 * }</pre>
 */
public final class ThroughputCheck {
  private ThroughputCheck() {}

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 12_800;
    int parallelism = args.length > 1 ? Integer.parseInt(args[1]) : Runtime.getRuntime().availableProcessors();
    var random = new Random(1);
    float[] x = new float[rows * 784];
    float[] y = new float[rows];
    for (int i = 0; i < x.length; i++) x[i] = random.nextInt(256);
    for (int i = 0; i < rows; i++) y[i] = random.nextInt(10);
    var flat = new LocalData(List.of(784), x, y, rows);
    var scaling = new FeatureScaling(List.of(0.0), List.of(255.0));
    ModelSpec spec = ModelSpec.mlp(List.of(128), 10, Loss.SOFTMAX_CROSS_ENTROPY);
    Parameters global = TestData.init(spec, List.of(784), 1);
    var config = new TrainingConfig(1, 64, Optimizer.SGD, 0.05, 0.9, 1L);
    int steps = (rows + 63) / 64;
    try (DjlTrainingEngine engine = DjlTrainingEngine.create(parallelism)) {
      engine.fit(spec, global, flat, scaling, config, 0); // warm up
      System.out.printf("1 task, SGD with momentum: %s ms/step%n", timings(() -> engine.fit(spec, global, flat, scaling, config, 0), steps));
      System.out.printf("1 task, FedProx mu 0.01: %s ms/step%n", timings(() -> engine.fit(spec, global, flat, scaling, config, 0.01), steps));
      try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
        long t = System.nanoTime();
        var fits = new ArrayList<Future<FitResult>>();
        for (int i = 0; i < parallelism; i++) fits.add(threads.submit(() -> engine.fit(spec, global, flat, scaling, config, 0)));
        for (Future<FitResult> f : fits) f.get();
        double ms = (System.nanoTime() - t) / 1e6;
        System.out.printf("%d tasks at once: %.3f ms per step per task, %.3f ms/step aggregate%n", parallelism, ms / steps, ms / steps / parallelism);
      }
      long t = System.nanoTime();
      EvalResult eval = engine.evaluate(spec, global, flat, scaling);
      System.out.printf("evaluate %d rows: %.0f ms (%s)%n", rows, (System.nanoTime() - t) / 1e6, eval.metrics());
      var small = new LocalData(List.of(784), Arrays.copyOf(x, 640 * 784), Arrays.copyOf(y, 640), 640);
      for (int block = 0; block < 5; block++) {
        for (int i = 0; i < 200; i++) engine.fit(spec, global, small, scaling, config, 0.01);
        System.gc();
        System.out.printf("after %d more small fits: RSS %d MB, Java heap used %d MB%n", (block + 1) * 200, rss() >> 20,
            (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) >> 20);
      }
    }
  }

  /** Five timed runs of {@code fit}: the fastest and the median, per step. */
  private static String timings(Runnable fit, int steps) {
    double[] ms = new double[5];
    for (int i = 0; i < ms.length; i++) {
      long t = System.nanoTime();
      fit.run();
      ms[i] = (System.nanoTime() - t) / 1e6 / steps;
    }
    Arrays.sort(ms);
    return String.format("fastest %.3f, median %.3f", ms[0], ms[2]);
  }

  private static long rss() throws java.io.IOException {
    for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
    }
    return 0;
  }
}
