package dev.fedgrid.ml;

import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.dataset.LabelKind;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TensorSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** The vendored data sets and small helpers the tests share. */
final class TestData {
  private static LocalDataset breastCancer;
  private static LocalDataset diabetes;
  private static LocalDataset digits;

  private TestData() {}

  /** The repository's {@code data/} directory, found by walking up from the working directory. */
  static Path dataDir() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("data/breast_cancer_wisconsin.csv"))) return dir.resolve("data");
    }
    throw new IllegalStateException("no data/breast_cancer_wisconsin.csv above " + Path.of("").toAbsolutePath());
  }

  static synchronized LocalDataset breastCancer() {
    if (breastCancer == null) breastCancer = CsvDatasetReader.read(dataDir().resolve("breast_cancer_wisconsin.csv"), CsvOptions.of("breast-cancer", "benign"));
    return breastCancer;
  }

  static synchronized LocalDataset diabetes() {
    if (diabetes == null) {
      diabetes = CsvDatasetReader.read(dataDir().resolve("diabetes.csv"), CsvOptions.of("diabetes", "progression").withLabelKind(LabelKind.CONTINUOUS));
    }
    return diabetes;
  }

  static synchronized LocalDataset digits() {
    if (digits == null) digits = CsvDatasetReader.read(dataDir().resolve("digits_8x8.csv"), CsvOptions.of("digits", "digit"));
    return digits;
  }

  /** The same rows seen as 1x8x8 images. */
  static LocalData asImages(LocalData flat) {
    return new LocalData(List.of(1, 8, 8), flat.features(), flat.labels(), flat.rows());
  }

  /** Standardization with the training split's statistics, as the gateway would send it. */
  static FeatureScaling standardize(DatasetMetadata metadata) {
    var mean = new ArrayList<Double>();
    var scale = new ArrayList<Double>();
    for (ColumnStats c : metadata.features()) {
      mean.add(c.mean());
      scale.add(c.stddev() > 0 ? c.stddev() : 1.0);
    }
    return new FeatureScaling(mean, scale);
  }

  /** Glorot-uniform weights and zero biases, seeded. */
  static Parameters init(ModelSpec spec, List<Integer> inputShape, long seed) {
    ParameterLayout layout = spec.parameterLayout(inputShape);
    float[] values = new float[layout.size()];
    var random = new Random(seed);
    for (int t = 0; t < layout.tensors().size(); t++) {
      TensorSpec tensor = layout.tensors().get(t);
      List<Integer> s = tensor.shape();
      if (s.size() == 1) continue;
      int receptive = s.size() == 4 ? s.get(2) * s.get(3) : 1;
      double limit = Math.sqrt(6.0 / (s.get(1) * receptive + s.get(0) * receptive));
      int offset = layout.offset(t);
      for (int i = 0; i < tensor.size(); i++) values[offset + i] = (float) ((random.nextDouble() * 2 - 1) * limit);
    }
    return new Parameters(layout, values);
  }

  /** Euclidean distance between two parameter vectors. */
  static double distance(Parameters a, Parameters b) {
    double sum = 0;
    for (int i = 0; i < a.values().length; i++) {
      double d = a.values()[i] - b.values()[i];
      sum += d * d;
    }
    return Math.sqrt(sum);
  }
}
