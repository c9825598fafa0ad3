package dev.fedgrid.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.model.Layer;
import dev.fedgrid.api.model.Loss;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Optimizer;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TrainingConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * What every {@link TrainingEngine} must do, on the vendored data sets. An implementation's test
 * extends this class and supplies the engine.
 */
public abstract class TrainingEngineContract {
  /** The engine under test; the same instance may be returned to every test. */
  protected abstract TrainingEngine engine();

  static final FeatureScaling PIXELS = new FeatureScaling(List.of(0.0), List.of(16.0));

  static final ModelSpec DIGITS_MLP =
      new ModelSpec(
          List.of(new Layer.Dense(16), new Layer.Tanh(), new Layer.Dense(12), new Layer.Sigmoid(), new Layer.Dropout(0.3), new Layer.Dense(10)),
          Loss.SOFTMAX_CROSS_ENTROPY);

  static final ModelSpec DIGITS_CNN =
      new ModelSpec(
          List.of(
              new Layer.Conv2d(4, 3, 1, 1),
              new Layer.Relu(),
              new Layer.MaxPool2d(2, null),
              new Layer.Conv2d(6, 2, 2, 0),
              new Layer.Relu(),
              new Layer.Flatten(),
              new Layer.Dense(10)),
          Loss.SOFTMAX_CROSS_ENTROPY);

  static final ModelSpec REGRESSION_MLP = ModelSpec.mlp(List.of(8), 1, Loss.MSE);

  static TrainingConfig sgd(int epochs, double lr, long seed) {
    return new TrainingConfig(epochs, 32, Optimizer.SGD, lr, 0.0, seed);
  }

  // ---- parameters keep the spec's layout -------------------------------------------------------

  @Test
  void evaluateReadsTheLayoutOfLogisticRegression() {
    LocalDataset data = TestData.breastCancer();
    assertMatchesReference(ModelSpec.logisticRegression(), data.test(), TestData.standardize(data.metadata()));
  }

  @Test
  void evaluateReadsTheLayoutOfAnMlp() {
    assertMatchesReference(DIGITS_MLP, TestData.digits().test(), PIXELS);
  }

  @Test
  void evaluateReadsTheLayoutOfACnn() {
    assertMatchesReference(DIGITS_CNN, TestData.asImages(TestData.digits().test()), PIXELS);
  }

  @Test
  void evaluateReadsTheLayoutOfARegressionMlp() {
    LocalDataset data = TestData.diabetes();
    assertMatchesReference(REGRESSION_MLP, data.test(), TestData.standardize(data.metadata()));
  }

  /** The engine's loss on random parameters equals a plain-Java forward pass over the documented layout. */
  private void assertMatchesReference(ModelSpec spec, LocalData data, FeatureScaling scaling) {
    Parameters parameters = TestData.init(spec, data.featureShape(), 7);
    EvalResult result = engine().evaluate(spec, parameters, data, scaling);

    int width = data.width();
    double loss = 0;
    for (int r = 0; r < data.rows(); r++) {
      float[] x = new float[width];
      for (int j = 0; j < width; j++) x[j] = (float) ((data.features()[r * width + j] - scaling.mean(j)) / scaling.scale(j));
      double[] z = ReferenceModel.forward(spec, parameters, x, data.featureShape());
      double y = data.labels()[r];
      loss +=
          switch (spec.loss()) {
            case SOFTMAX_CROSS_ENTROPY -> {
              double max = IntStream.range(0, z.length).mapToDouble(i -> z[i]).max().orElseThrow();
              double sum = IntStream.range(0, z.length).mapToDouble(i -> Math.exp(z[i] - max)).sum();
              yield max + Math.log(sum) - z[(int) y];
            }
            case BINARY_CROSS_ENTROPY -> Math.max(z[0], 0) - z[0] * y + Math.log1p(Math.exp(-Math.abs(z[0])));
            case MSE -> (z[0] - y) * (z[0] - y);
          };
    }
    loss /= data.rows();
    assertThat(result.examples()).isEqualTo(data.rows());
    assertThat(result.metrics().get("loss")).isCloseTo(loss, within(1e-4 * Math.max(1, Math.abs(loss))));
  }

  @Test
  void fitReturnsParametersInTheSpecsLayout() {
    LocalData images = TestData.asImages(TestData.digits().train());
    Parameters global = TestData.init(DIGITS_CNN, images.featureShape(), 1);
    FitResult result = engine().fit(DIGITS_CNN, global, images, PIXELS, sgd(1, 0.05, 1), 0);

    assertThat(result.parameters().layout()).isEqualTo(DIGITS_CNN.parameterLayout(List.of(1, 8, 8)));
    assertThat(result.parameters().values()).isNotEqualTo(global.values());
    assertThat(result.parameters().firstNonFinite()).isEqualTo(-1);
    assertThat(result.examples()).isEqualTo(images.rows());
    assertThat(result.metrics()).containsKeys("loss", "accuracy");
  }

  // ---- training works --------------------------------------------------------------------------

  @Test
  void logisticRegressionLearnsBreastCancer() {
    LocalDataset data = TestData.breastCancer();
    FeatureScaling scaling = TestData.standardize(data.metadata());
    ModelSpec spec = ModelSpec.logisticRegression();
    Parameters initial = TestData.init(spec, List.of(30), 3);
    double before = engine().evaluate(spec, initial, data.train(), scaling).metrics().get("loss");

    FitResult fit = engine().fit(spec, initial, data.train(), scaling, sgd(5, 0.1, 3), 0);
    EvalResult train = engine().evaluate(spec, fit.parameters(), data.train(), scaling);
    EvalResult test = engine().evaluate(spec, fit.parameters(), data.test(), scaling);

    assertThat(train.metrics().get("loss")).isLessThan(before / 2);
    assertThat(fit.metrics().get("loss")).isBetween(0.0, before);
    assertThat(fit.metrics().get("accuracy")).isBetween(0.9, 1.0);
    assertThat(test.examples()).isEqualTo(data.test().rows());
    assertThat(test.metrics()).containsOnlyKeys("loss", "accuracy", "auc");
    assertThat(test.metrics().get("accuracy")).isGreaterThanOrEqualTo(0.93).isLessThanOrEqualTo(1.0);
    assertThat(test.metrics().get("auc")).isBetween(0.95, 1.0);
  }

  @Test
  void adamAndMomentumTrainAnMlpOnDigits() {
    LocalDataset data = TestData.digits();
    ModelSpec spec = ModelSpec.mlp(List.of(32), 10, Loss.SOFTMAX_CROSS_ENTROPY);
    Parameters initial = TestData.init(spec, List.of(64), 5);
    var adam = new TrainingConfig(3, 32, Optimizer.ADAM, 0.01, null, 5L);
    var momentum = new TrainingConfig(3, 32, Optimizer.SGD, 0.05, 0.9, 5L);

    for (TrainingConfig config : List.of(adam, momentum)) {
      FitResult fit = engine().fit(spec, initial, data.train(), PIXELS, config, 0);
      EvalResult test = engine().evaluate(spec, fit.parameters(), data.test(), PIXELS);
      assertThat(test.metrics()).containsOnlyKeys("loss", "accuracy");
      assertThat(test.metrics().get("accuracy")).as(config.optimizer().name()).isGreaterThan(0.85);
    }
  }

  @Test
  void regressionReducesMseOnDiabetes() {
    LocalDataset data = TestData.diabetes();
    FeatureScaling scaling = TestData.standardize(data.metadata());
    ModelSpec spec = new ModelSpec(List.of(new Layer.Dense(1)), Loss.MSE);
    Parameters initial = TestData.init(spec, List.of(10), 4);
    EvalResult before = engine().evaluate(spec, initial, data.test(), scaling);

    FitResult fit = engine().fit(spec, initial, data.train(), scaling, sgd(10, 0.01, 4), 0);
    EvalResult after = engine().evaluate(spec, fit.parameters(), data.test(), scaling);

    assertThat(before.metrics()).containsOnlyKeys("loss", "mse", "mae");
    assertThat(after.metrics().get("mse")).isLessThan(before.metrics().get("mse") / 4);
    assertThat(after.metrics().get("mse")).isEqualTo(after.metrics().get("loss"));
    assertThat(after.metrics().get("mae")).isPositive().isLessThan(Math.sqrt(after.metrics().get("mse")) * 1.01);
    assertThat(fit.metrics()).containsKey("loss").doesNotContainKey("accuracy");
  }

  // ---- reproducible, concurrent ---------------------------------------------------------------

  @Test
  void fitIsBitwiseReproducibleUnderASeedEvenWithDropout() {
    LocalData train = TestData.digits().train();
    Parameters global = TestData.init(DIGITS_MLP, List.of(64), 9);

    FitResult a = engine().fit(DIGITS_MLP, global, train, PIXELS, sgd(2, 0.1, 11), 0);
    FitResult b = engine().fit(DIGITS_MLP, global, train, PIXELS, sgd(2, 0.1, 11), 0);
    FitResult other = engine().fit(DIGITS_MLP, global, train, PIXELS, sgd(2, 0.1, 12), 0);

    assertThat(b.parameters().values()).containsExactly(a.parameters().values());
    assertThat(b.metrics()).isEqualTo(a.metrics());
    assertThat(other.parameters().values()).isNotEqualTo(a.parameters().values());
  }

  @Test
  void concurrentFitsFromVirtualThreadsMatchASequentialFit() throws Exception {
    LocalData train = TestData.digits().train();
    Parameters global = TestData.init(DIGITS_MLP, List.of(64), 13);
    FitResult expected = engine().fit(DIGITS_MLP, global, train, PIXELS, sgd(1, 0.1, 13), 0);

    try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<FitResult>> fits =
          IntStream.range(0, 4).mapToObj(i -> threads.submit(() -> engine().fit(DIGITS_MLP, global, train, PIXELS, sgd(1, 0.1, 13), 0))).toList();
      for (Future<FitResult> fit : fits) assertThat(fit.get().parameters().values()).containsExactly(expected.parameters().values());
    }
  }

  // ---- FedProx ---------------------------------------------------------------------------------

  @Test
  void proximalTermKeepsParametersNearTheGlobalModel() {
    LocalDataset data = TestData.breastCancer();
    FeatureScaling scaling = TestData.standardize(data.metadata());
    ModelSpec spec = ModelSpec.mlp(List.of(8), 1, Loss.BINARY_CROSS_ENTROPY);
    Parameters global = TestData.init(spec, List.of(30), 17);

    FitResult free = engine().fit(spec, global, data.train(), scaling, sgd(3, 0.1, 17), 0);
    FitResult small = engine().fit(spec, global, data.train(), scaling, sgd(3, 0.1, 17), 0.1);
    FitResult held = engine().fit(spec, global, data.train(), scaling, sgd(3, 0.1, 17), 5);

    double freeDistance = TestData.distance(free.parameters(), global);
    assertThat(TestData.distance(small.parameters(), global)).isLessThan(freeDistance);
    assertThat(TestData.distance(held.parameters(), global)).isLessThan(freeDistance / 3);
  }

  // ---- failures --------------------------------------------------------------------------------

  @Test
  void labelsOutsideTheOutputAreRejected() {
    LocalData digits = TestData.digits().train();
    ModelSpec eightClasses = ModelSpec.mlp(List.of(), 8, Loss.SOFTMAX_CROSS_ENTROPY);
    Parameters eight = TestData.init(eightClasses, List.of(64), 1);
    assertThatThrownBy(() -> engine().fit(eightClasses, eight, digits, PIXELS, sgd(1, 0.1, 1), 0))
        .isInstanceOf(TrainingException.class)
        .hasMessageContaining("not a class index in [0, 8)");

    ModelSpec binary = ModelSpec.logisticRegression();
    Parameters one = TestData.init(binary, List.of(64), 1);
    assertThatThrownBy(() -> engine().evaluate(binary, one, digits, PIXELS))
        .isInstanceOf(TrainingException.class)
        .hasMessageContaining("other than 0 or 1");
  }

  @Test
  void parametersOfAnotherShapeAreRejected() {
    LocalData digits = TestData.digits().train();
    ModelSpec spec = ModelSpec.mlp(List.of(), 10, Loss.SOFTMAX_CROSS_ENTROPY);
    Parameters forThirtyFeatures = TestData.init(spec, List.of(30), 1);
    assertThatThrownBy(() -> engine().fit(spec, forThirtyFeatures, digits, PIXELS, sgd(1, 0.1, 1), 0))
        .isInstanceOf(TrainingException.class)
        .hasMessageContaining("parameters");

    Parameters forImages = TestData.init(DIGITS_CNN, List.of(1, 8, 8), 1);
    assertThatThrownBy(() -> engine().evaluate(DIGITS_CNN, forImages, digits, PIXELS))
        .isInstanceOf(TrainingException.class)
        .hasMessageContaining("conv2d");
  }

  @Test
  void divergenceIsReportedWithAHint() {
    LocalDataset data = TestData.diabetes();
    ModelSpec spec = new ModelSpec(List.of(new Layer.Dense(1)), Loss.MSE);
    Parameters initial = TestData.init(spec, List.of(10), 1);
    assertThatThrownBy(() -> engine().fit(spec, initial, data.train(), FeatureScaling.identity(), sgd(20, 5, 1), 0))
        .isInstanceOf(TrainingException.class)
        .hasMessageContaining("learning rate");
  }

  @Test
  void emptyDataIsRejected() {
    LocalData empty = new LocalData(List.of(30), new float[0], new float[0], 0);
    ModelSpec spec = ModelSpec.logisticRegression();
    Parameters parameters = TestData.init(spec, List.of(30), 1);
    assertThatThrownBy(() -> engine().evaluate(spec, parameters, empty, FeatureScaling.identity())).isInstanceOf(TrainingException.class);
    assertThatThrownBy(() -> engine().fit(spec, parameters, empty, FeatureScaling.identity(), sgd(1, 0.1, 1), 0)).isInstanceOf(TrainingException.class);
  }

  @Test
  void anInterruptedCallerGetsATrainingException() {
    LocalDataset data = TestData.breastCancer();
    ModelSpec spec = ModelSpec.logisticRegression();
    Parameters parameters = TestData.init(spec, List.of(30), 1);
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> engine().fit(spec, parameters, data.train(), FeatureScaling.identity(), sgd(1, 0.1, 1), 0))
          .isInstanceOf(TrainingException.class)
          .hasMessageContaining("interrupted");
    } finally {
      Thread.interrupted();
    }
  }

  @Test
  void interruptingALongFitStopsItPromptly() throws Exception {
    LocalData images = TestData.asImages(TestData.digits().train());
    Parameters global = TestData.init(DIGITS_CNN, images.featureShape(), 1);
    var long_ = new TrainingConfig(TrainingConfig.MAX_EPOCHS, 1, Optimizer.SGD, 0.01, 0.0, 1L);
    var failure = new AtomicReference<Throwable>();
    Thread trainer =
        Thread.ofPlatform().start(() -> {
          try {
            engine().fit(DIGITS_CNN, global, images, PIXELS, long_, 0);
          } catch (Throwable t) {
            failure.set(t);
          }
        });
    Thread.sleep(300);
    long interrupted = System.nanoTime();
    trainer.interrupt();
    trainer.join(Duration.ofSeconds(10));

    assertThat(trainer.isAlive()).isFalse();
    assertThat(Duration.ofNanos(System.nanoTime() - interrupted)).isLessThan(Duration.ofSeconds(2));
    assertThat(failure.get()).isInstanceOf(TrainingException.class).hasMessageContaining("interrupted");
  }
}
