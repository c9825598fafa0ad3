package dev.fedgrid.api.dataset;

import dev.fedgrid.api.InvalidRequestException;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What a node tells the gateway about one of its datasets: never a row, only its shape, sizes,
 * label description, aggregate statistics, tags and visibility.
 *
 * @param name a short name, unique per node; jobs select datasets by name or id
 * @param format how the node stores it
 * @param featureShape shape of one example's features, {@code [30]} for 30 columns or {@code [1,
 *     28, 28]} for a grey image
 * @param features statistics of each feature column for tabular data, empty for images
 * @param label the label's description
 * @param trainRows rows in the training split
 * @param testRows rows in the held-out test split used for federated evaluation
 * @param tags free-form search tags
 * @param visibility public or private
 */
public record DatasetMetadata(
    String name,
    DatasetFormat format,
    List<Integer> featureShape,
    List<ColumnStats> features,
    LabelInfo label,
    long trainRows,
    long testRows,
    List<String> tags,
    Visibility visibility) {
  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,63}");
  public static final Pattern TAG = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,31}");
  public static final int MAX_FEATURES = 1 << 20;
  public static final int MAX_TAGS = 32;

  public DatasetMetadata {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new InvalidRequestException(
          "INVALID_DATASET", "dataset name '" + name + "' must be 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    if (format == null) throw new InvalidRequestException("INVALID_DATASET", "dataset " + name + " needs a format");
    if (featureShape == null || featureShape.isEmpty() || featureShape.size() > 3) {
      throw new InvalidRequestException("INVALID_DATASET", "dataset " + name + " needs a feature shape of rank 1 to 3");
    }
    featureShape = List.copyOf(featureShape);
    long width = 1;
    for (int d : featureShape) {
      if (d <= 0) throw new InvalidRequestException("INVALID_DATASET", "dataset " + name + " has a non-positive feature dimension");
      width *= d;
    }
    if (width > MAX_FEATURES) {
      throw new InvalidRequestException("INVALID_DATASET", "dataset " + name + " has more than " + MAX_FEATURES + " features");
    }
    features = features == null ? List.of() : List.copyOf(features);
    if (!features.isEmpty() && features.size() != width) {
      throw new InvalidRequestException("INVALID_DATASET", "dataset " + name + " has statistics for " + features.size() + " of " + width + " features");
    }
    if (label == null) throw new InvalidRequestException("INVALID_DATASET", "dataset " + name + " needs a label");
    if (trainRows < 1 || testRows < 0) {
      throw new InvalidRequestException("INVALID_DATASET", "dataset " + name + " needs at least one training row");
    }
    tags = tags == null ? List.of() : List.copyOf(tags);
    if (tags.size() > MAX_TAGS) throw new InvalidRequestException("INVALID_DATASET", "dataset " + name + " has more than " + MAX_TAGS + " tags");
    for (String tag : tags) {
      if (tag == null || !TAG.matcher(tag).matches()) {
        throw new InvalidRequestException("INVALID_DATASET", "tag '" + tag + "' must be 1 to 32 lower-case letters, digits, '.', '_' or '-'");
      }
    }
    visibility = visibility == null ? Visibility.PRIVATE : visibility;
  }

  /** The same metadata with another visibility (as set on the gateway by a data owner). */
  public DatasetMetadata withVisibility(Visibility visibility) {
    return new DatasetMetadata(name, format, featureShape, features, label, trainRows, testRows, tags, visibility);
  }
}
