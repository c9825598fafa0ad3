package dev.fedgrid.api.dataset;

import dev.fedgrid.api.InvalidRequestException;
import java.util.List;

/**
 * What a dataset's label is: its column, whether it is categorical or continuous, and for
 * categorical labels the number of classes (labels are 0..numClasses-1) and how many training
 * rows hold each class.
 */
public record LabelInfo(String column, LabelKind kind, int numClasses, List<Long> classCounts) {
  /** Most classes a categorical label may have. */
  public static final int MAX_CLASSES = 10_000;

  public LabelInfo {
    if (column == null || column.isEmpty()) {
      throw new InvalidRequestException("INVALID_DATASET", "a label needs a column name");
    }
    if (kind == null) {
      throw new InvalidRequestException("INVALID_DATASET", "label " + column + " needs a kind");
    }
    classCounts = classCounts == null ? List.of() : List.copyOf(classCounts);
    if (kind == LabelKind.CATEGORICAL && (numClasses < 2 || numClasses > MAX_CLASSES)) {
      throw new InvalidRequestException(
          "INVALID_DATASET", "label " + column + " must have 2 to " + MAX_CLASSES + " classes, has " + numClasses);
    }
    if (kind == LabelKind.CONTINUOUS && numClasses != 0) {
      throw new InvalidRequestException("INVALID_DATASET", "continuous label " + column + " has no classes");
    }
    if (!classCounts.isEmpty() && classCounts.size() != numClasses) {
      throw new InvalidRequestException("INVALID_DATASET", "label " + column + " has " + classCounts.size() + " class counts for " + numClasses + " classes");
    }
  }

  public static LabelInfo categorical(String column, List<Long> classCounts) {
    return new LabelInfo(column, LabelKind.CATEGORICAL, classCounts.size(), classCounts);
  }

  public static LabelInfo continuous(String column) {
    return new LabelInfo(column, LabelKind.CONTINUOUS, 0, List.of());
  }
}
