package dev.fedgrid.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.pytorch.jni.JniUtils;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.model.Loss;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Optimizer;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TrainingConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DjlTrainingEngineTest extends TrainingEngineContract {
  private static DjlTrainingEngine engine;

  @BeforeAll
  static void start() {
    engine = DjlTrainingEngine.create(2);
  }

  @AfterAll
  static void stop() {
    engine.close();
  }

  @Override
  protected TrainingEngine engine() {
    return engine;
  }

  @Test
  void pytorchRunsWithOneThreadPerTaskFromTheSharedCache() throws Exception {
    assertThat(System.getProperty("ai.djl.pytorch.num_threads")).isEqualTo("1");
    assertThat(System.getProperty("ai.djl.offline")).isEqualTo("true");
    assertThat(Path.of(System.getProperty("DJL_CACHE_DIR"))).isEqualTo(DjlTrainingEngine.cacheDirectory().resolve("djl").toAbsolutePath());
    assertThat(Path.of(System.getProperty("ENGINE_CACHE_DIR"))).isEqualTo(Path.of(System.getProperty("DJL_CACHE_DIR")));
    try (var pool = Executors.newSingleThreadExecutor()) {
      assertThat(pool.submit(JniUtils::getNumThreads).get()).isEqualTo(1);
    }
    assertThat(engine.parallelism()).isEqualTo(2);
  }

  @Test
  void aClosedEngineRefusesWork() {
    var closed = DjlTrainingEngine.create(1);
    closed.close();
    ModelSpec spec = ModelSpec.logisticRegression();
    Parameters parameters = TestData.init(spec, List.of(30), 1);
    assertThatThrownBy(() -> closed.evaluate(spec, parameters, TestData.breastCancer().test(), FeatureScaling.identity()))
        .isInstanceOf(TrainingException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void manyFitsDoNotAccumulateNativeMemory() {
    var random = new Random(1);
    int rows = 64;
    float[] x = new float[rows * 784];
    float[] y = new float[rows];
    for (int i = 0; i < x.length; i++) x[i] = random.nextFloat();
    for (int i = 0; i < rows; i++) y[i] = random.nextInt(10);
    var data = new LocalData(List.of(784), x, y, rows);
    ModelSpec spec = ModelSpec.mlp(List.of(2048), 10, Loss.SOFTMAX_CROSS_ENTROPY);
    Parameters global = TestData.init(spec, List.of(784), 1);
    var adam = new TrainingConfig(1, 64, Optimizer.ADAM, 0.001, null, 1L);
    var momentum = new TrainingConfig(1, 64, Optimizer.SGD, 0.1, 0.9, 1L);
    for (int i = 0; i < 6; i++) engine.fit(spec, global, data, FeatureScaling.identity(), i % 2 == 0 ? adam : momentum, 0.01);
    long before = residentBytes();
    for (int i = 0; i < 30; i++) engine.fit(spec, global, data, FeatureScaling.identity(), i % 2 == 0 ? adam : momentum, 0.01);
    long grown = residentBytes() - before;
    // The first layer's weight is 6.4 MB: a fit that leaked it, its gradient or its optimizer state
    // would grow the process by 200+ MB over these 30 fits.
    assertThat(grown).as("bytes the process grew by").isLessThan(100L << 20);
  }

  /** Resident memory of this process after a full collection, from /proc (Linux; 0 elsewhere). */
  private static long residentBytes() {
    System.gc();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
      }
    } catch (IOException e) {
      // not Linux: no measurement
    }
    return 0;
  }
}
