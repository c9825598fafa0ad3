package dev.fedgrid.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.model.Layer;
import dev.fedgrid.api.model.Loss;
import dev.fedgrid.api.model.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelPresetsTest {
  static DatasetInfo dataset(List<Integer> shape, LabelInfo label) {
    var meta = new DatasetMetadata("data", DatasetFormat.CSV, shape, List.of(), label, 100, 10, List.of(), Visibility.PUBLIC);
    return new DatasetInfo(DatasetId.random(), NodeId.random(), meta, Instant.EPOCH);
  }

  static final DatasetInfo BINARY = dataset(List.of(30), LabelInfo.categorical("y", List.of(60L, 40L)));
  static final DatasetInfo DIGITS = dataset(List.of(64), LabelInfo.categorical("digit", Collections.nCopies(10, 10L)));
  static final DatasetInfo PRICES = dataset(List.of(8), LabelInfo.continuous("price"));
  static final DatasetInfo IMAGES = dataset(List.of(1, 28, 28), LabelInfo.categorical("label", Collections.nCopies(10, 100L)));

  @Test
  void logisticFitsTheLabel() {
    assertThat(ModelPresets.preset("logistic", BINARY)).isEqualTo(new ModelSpec(List.of(new Layer.Dense(1)), Loss.BINARY_CROSS_ENTROPY));
    assertThat(ModelPresets.preset("logistic", DIGITS)).isEqualTo(new ModelSpec(List.of(new Layer.Dense(10)), Loss.SOFTMAX_CROSS_ENTROPY));
    assertThat(ModelPresets.preset(" logistic ", PRICES)).isEqualTo(new ModelSpec(List.of(new Layer.Dense(1)), Loss.MSE));
    assertThat(ModelPresets.preset("logistic", IMAGES).layers()).containsExactly(new Layer.Flatten(), new Layer.Dense(10));
  }

  @Test
  void mlpHasTheHiddenLayersAsked() {
    ModelSpec mlp = ModelPresets.preset("mlp:64,32", DIGITS);
    assertThat(mlp).isEqualTo(ModelSpec.mlp(List.of(64, 32), 10, Loss.SOFTMAX_CROSS_ENTROPY));
    assertThat(ModelPresets.preset("mlp", BINARY)).isEqualTo(ModelSpec.mlp(List.of(64), 1, Loss.BINARY_CROSS_ENTROPY));
    assertThat(ModelPresets.preset("mlp:16", PRICES)).isEqualTo(ModelSpec.mlp(List.of(16), 1, Loss.MSE));
  }

  @Test
  void cnnIsForImages() {
    ModelSpec cnn = ModelPresets.preset("cnn", IMAGES);
    assertThat(cnn.loss()).isEqualTo(Loss.SOFTMAX_CROSS_ENTROPY);
    assertThat(cnn.layers()).containsExactly(
        new Layer.Conv2d(32, 3, 1, 0), new Layer.Relu(), new Layer.MaxPool2d(2, 2),
        new Layer.Conv2d(64, 3, 1, 0), new Layer.Relu(), new Layer.MaxPool2d(2, 2),
        new Layer.Flatten(), new Layer.Dense(128), new Layer.Relu(), new Layer.Dense(10));
    assertThat(cnn.outputShape(List.of(1, 28, 28))).containsExactly(10);

    assertThatThrownBy(() -> ModelPresets.preset("cnn", BINARY))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.code()).isEqualTo("INVALID_MODEL_PRESET");
          assertThat(e.getMessage()).contains("[30]").contains("mlp");
        });
    DatasetInfo tiny = dataset(List.of(1, 6, 6), LabelInfo.categorical("y", List.of(1L, 1L)));
    assertThatThrownBy(() -> ModelPresets.preset("cnn", tiny))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.getMessage()).contains("does not fit").contains("[1, 6, 6]"));
  }

  @Test
  void unknownAndMalformedPresetsSayWhatWorks() {
    assertThatThrownBy(() -> ModelPresets.preset("resnet", BINARY))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.code()).isEqualTo("UNKNOWN_MODEL_PRESET");
          assertThat(e.getMessage()).contains("resnet").contains("logistic, mlp:64,32, cnn or @path/to/spec.json");
        });
    for (String bad : List.of("mlp:", "mlp:64,,32", "mlp:x", "mlp:0", "logistic:3", "cnn:1")) {
      assertThatThrownBy(() -> ModelPresets.preset(bad, BINARY))
          .as(bad)
          .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_MODEL_PRESET"));
    }
    assertThatThrownBy(() -> ModelPresets.preset("", BINARY)).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> ModelPresets.preset("logistic", null)).isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void readsSpecFiles(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("spec.json");
    Files.writeString(file, """
        {"layers": [{"type": "dense", "units": 8}, {"type": "tanh"}, {"type": "dense", "units": 1}], "loss": "binary_cross_entropy"}
        """);
    ModelSpec spec = ModelPresets.preset("@" + file, BINARY);
    assertThat(spec.layers()).containsExactly(new Layer.Dense(8), new Layer.Tanh(), new Layer.Dense(1));
    assertThat(ModelPresets.preset("@" + file, null)).isEqualTo(spec);

    assertThatThrownBy(() -> ModelPresets.preset("@" + file, DIGITS))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.getMessage()).contains("does not fit").contains("softmax_cross_entropy"));
    assertThatThrownBy(() -> ModelPresets.preset("@" + dir.resolve("missing.json"), BINARY))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.code()).isEqualTo("MODEL_SPEC_FILE");
          assertThat(e.getMessage()).contains("missing.json").contains("does not exist");
        });
    Files.writeString(file, "{\"layers\": [{\"type\": \"dense\", \"unit\": 8}], \"loss\": \"mse\"}");
    assertThatThrownBy(() -> ModelPresets.preset("@" + file, BINARY))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.getMessage()).contains("unit"));
    Files.writeString(file, "{\"layers\": [], \"loss\": \"mse\"}");
    assertThatThrownBy(() -> ModelPresets.preset("@" + file, BINARY))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.getMessage()).contains("at least one layer"));
    Files.writeString(file, "{\"layers\": [");
    assertThatThrownBy(() -> ModelPresets.preset("@" + file, BINARY))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.getMessage()).contains("line 1"));
  }
}
