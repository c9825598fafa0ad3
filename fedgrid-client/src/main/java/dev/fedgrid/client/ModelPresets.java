package dev.fedgrid.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.LabelKind;
import dev.fedgrid.api.model.Layer;
import dev.fedgrid.api.model.Loss;
import dev.fedgrid.api.model.ModelSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Short names for common models, resolved against the dataset they will train on so that the
 * output layer and loss fit its label:
 *
 * <ul>
 *   <li>{@code logistic}: one dense layer. Two classes: 1 unit with {@code binary_cross_entropy};
 *       k &gt; 2 classes: k units with {@code softmax_cross_entropy}; a continuous label: 1 unit
 *       with {@code mse}.
 *   <li>{@code mlp:64,32}: hidden dense layers of those widths with ReLU, then the same output and
 *       loss as {@code logistic}; {@code mlp} alone is {@code mlp:64}.
 *   <li>{@code cnn}: for image features {@code [channels, height, width]}: conv2d 32 (kernel 3),
 *       ReLU, max-pool 2, conv2d 64 (kernel 3), ReLU, max-pool 2, flatten, dense 128, ReLU, dense
 *       k with {@code softmax_cross_entropy} (1 unit with {@code mse} for a continuous label).
 *   <li>{@code @path/to/spec.json}: a model spec in JSON, read from the file.
 * </ul>
 *
 * Features with more than one dimension are flattened before the first dense layer of {@code
 * logistic} and {@code mlp}.
 *
 * <p>Thread-safe (stateless).
 */
public final class ModelPresets {
  /** Hidden width of {@code mlp} without a list. */
  static final int DEFAULT_HIDDEN = 64;

  private ModelPresets() {}

  /**
   * Resolves a preset name or {@code @file} into a model spec that fits {@code dataset}.
   *
   * @param shorthand {@code logistic}, {@code mlp:64,32}, {@code cnn} or {@code @path/to/spec.json}
   * @param dataset the dataset the model will train on (its feature shape and label decide the
   *     layers); may be {@code null} for {@code @file}, which is then not checked against data
   * @throws InvalidRequestException {@code UNKNOWN_MODEL_PRESET} for an unknown name, {@code
   *     INVALID_MODEL_PRESET} for a malformed one or one that does not fit the data, {@code
   *     MODEL_SPEC_FILE} when the file cannot be read or parsed
   */
  public static ModelSpec preset(String shorthand, DatasetInfo dataset) {
    if (shorthand == null || shorthand.isBlank()) throw unknown(String.valueOf(shorthand));
    String s = shorthand.strip();
    if (s.startsWith("@")) {
      ModelSpec spec = readFile(Path.of(s.substring(1)));
      if (dataset != null) fits(s, spec, dataset);
      return spec;
    }
    if (dataset == null) {
      throw new InvalidRequestException("INVALID_MODEL_PRESET", "the model preset '" + s + "' needs a dataset to fit its output layer to");
    }
    String name = s.contains(":") ? s.substring(0, s.indexOf(':')) : s;
    ModelSpec spec = switch (name) {
      case "logistic" -> {
        if (s.contains(":")) throw malformed(s, "logistic takes no arguments");
        yield dense(List.of(), dataset);
      }
      case "mlp" -> dense(hidden(s), dataset);
      case "cnn" -> {
        if (s.contains(":")) throw malformed(s, "cnn takes no arguments");
        yield cnn(dataset);
      }
      default -> throw unknown(s);
    };
    fits(s, spec, dataset);
    return spec;
  }

  private static ModelSpec dense(List<Integer> hidden, DatasetInfo dataset) {
    var layers = new ArrayList<Layer>();
    if (dataset.metadata().featureShape().size() > 1) layers.add(new Layer.Flatten());
    for (int units : hidden) {
      layers.add(new Layer.Dense(units));
      layers.add(new Layer.Relu());
    }
    LabelInfo label = dataset.metadata().label();
    if (label.kind() == LabelKind.CONTINUOUS) {
      layers.add(new Layer.Dense(1));
      return new ModelSpec(layers, Loss.MSE);
    }
    if (label.numClasses() == 2) {
      layers.add(new Layer.Dense(1));
      return new ModelSpec(layers, Loss.BINARY_CROSS_ENTROPY);
    }
    layers.add(new Layer.Dense(label.numClasses()));
    return new ModelSpec(layers, Loss.SOFTMAX_CROSS_ENTROPY);
  }

  private static ModelSpec cnn(DatasetInfo dataset) {
    List<Integer> shape = dataset.metadata().featureShape();
    if (shape.size() != 3) {
      throw new InvalidRequestException(
          "INVALID_MODEL_PRESET",
          "the cnn preset needs image features [channels, height, width], but dataset '" + dataset.name() + "' has features " + shape
              + "; use logistic or mlp:64,32",
          Map.of("featureShape", shape));
    }
    var layers = new ArrayList<Layer>(List.of(
        new Layer.Conv2d(32, 3, null, null),
        new Layer.Relu(),
        new Layer.MaxPool2d(2, null),
        new Layer.Conv2d(64, 3, null, null),
        new Layer.Relu(),
        new Layer.MaxPool2d(2, null),
        new Layer.Flatten(),
        new Layer.Dense(128),
        new Layer.Relu()));
    LabelInfo label = dataset.metadata().label();
    if (label.kind() == LabelKind.CONTINUOUS) {
      layers.add(new Layer.Dense(1));
      return new ModelSpec(layers, Loss.MSE);
    }
    layers.add(new Layer.Dense(label.numClasses()));
    return new ModelSpec(layers, Loss.SOFTMAX_CROSS_ENTROPY);
  }

  private static List<Integer> hidden(String s) {
    int colon = s.indexOf(':');
    if (colon < 0) return List.of(DEFAULT_HIDDEN);
    var widths = new ArrayList<Integer>();
    for (String part : s.substring(colon + 1).split(",", -1)) {
      int units;
      try {
        units = Integer.parseInt(part.strip());
      } catch (NumberFormatException e) {
        throw malformed(s, "'" + part.strip() + "' is not a layer width");
      }
      if (units < 1 || units > Layer.MAX_DIMENSION) {
        throw malformed(s, "layer widths must be in [1, " + Layer.MAX_DIMENSION + "], got " + units);
      }
      widths.add(units);
    }
    if (widths.size() > 16) throw malformed(s, "at most 16 hidden layers");
    return widths;
  }

  private static void fits(String preset, ModelSpec spec, DatasetInfo dataset) {
    try {
      spec.checkFits(dataset.metadata().featureShape(), dataset.metadata().label());
    } catch (InvalidRequestException e) {
      throw new InvalidRequestException(
          "INVALID_MODEL_PRESET",
          "the model '" + preset + "' does not fit dataset '" + dataset.name() + "' (features " + dataset.metadata().featureShape() + "): "
              + e.getMessage(),
          Map.of("cause", e.code()));
    }
  }

  private static ModelSpec readFile(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new InvalidRequestException("MODEL_SPEC_FILE", "the model spec file " + file.toAbsolutePath() + " does not exist");
    } catch (IOException e) {
      throw new InvalidRequestException("MODEL_SPEC_FILE", "cannot read the model spec file " + file + ": " + e.getMessage());
    }
    try {
      ModelSpec spec = ClientJson.STRICT.readValue(bytes, ModelSpec.class);
      if (spec == null) throw new InvalidRequestException("MODEL_SPEC_FILE", "the model spec file " + file + " holds null; it needs {\"layers\": [...], \"loss\": ...}");
      return spec;
    } catch (IOException e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof FedGridException f) {
          throw new InvalidRequestException("MODEL_SPEC_FILE", "the model spec file " + file + " is not valid: " + f.getMessage());
        }
      }
      String reason = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
      String where = e instanceof JsonProcessingException j && j.getLocation() != null
          ? " at line " + j.getLocation().getLineNr() + ", column " + j.getLocation().getColumnNr()
          : "";
      throw new InvalidRequestException(
          "MODEL_SPEC_FILE",
          "the model spec file " + file + " is not a model spec" + where + ": " + reason.lines().findFirst().orElse(reason)
              + "; it needs {\"layers\": [{\"type\": \"dense\", \"units\": 1}], \"loss\": \"binary_cross_entropy\"}");
    }
  }

  private static InvalidRequestException unknown(String s) {
    return new InvalidRequestException(
        "UNKNOWN_MODEL_PRESET", "unknown model '" + s + "': use logistic, mlp:64,32, cnn or @path/to/spec.json", Map.of("model", s));
  }

  private static InvalidRequestException malformed(String s, String why) {
    return new InvalidRequestException(
        "INVALID_MODEL_PRESET", "model '" + s + "' is malformed: " + why + "; for example mlp:64,32", Map.of("model", s));
  }
}
