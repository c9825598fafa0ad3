package dev.fedgrid.ml;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelKind;
import dev.fedgrid.api.dataset.Visibility;
import java.util.List;

/**
 * How {@link CsvDatasetReader} reads a CSV file into a dataset; immutable and checked when built.
 * Start from {@link #of(String, String)} and change what differs from the defaults with the {@code
 * with...} methods.
 *
 * @param name the dataset's name ({@link DatasetMetadata#NAME}: lower-case letters, digits, '.',
 *     '_', '-')
 * @param labelColumn the header of the label column
 * @param testFraction share of rows held out for evaluation, in [0, 1) (default 0.2)
 * @param seed seed of the train/test split (default 42)
 * @param tags search tags (default none)
 * @param visibility public or private (default private)
 * @param ignoreColumns columns that are neither features nor the label, such as ids (default none)
 * @param labelKind categorical or continuous; {@code null} (the default) infers it: categorical
 *     when every label is an integer in [0, 1000) and every class from 0 to the largest occurs,
 *     continuous otherwise
 */
public record CsvOptions(
    String name,
    String labelColumn,
    double testFraction,
    long seed,
    List<String> tags,
    Visibility visibility,
    List<String> ignoreColumns,
    LabelKind labelKind) {
  public static final double DEFAULT_TEST_FRACTION = 0.2;
  public static final long DEFAULT_SEED = 42;

  public CsvOptions {
    checkName(name);
    if (labelColumn == null || labelColumn.isBlank()) {
      throw new InvalidRequestException("INVALID_DATASET", "dataset " + name + " needs a label column: the header of the column to predict");
    }
    checkTestFraction(testFraction);
    tags = checkTags(tags);
    visibility = visibility == null ? Visibility.PRIVATE : visibility;
    ignoreColumns = ignoreColumns == null ? List.of() : List.copyOf(ignoreColumns);
    if (ignoreColumns.contains(labelColumn)) {
      throw new InvalidRequestException("INVALID_DATASET", "the label column '" + labelColumn + "' is also listed as a column to ignore");
    }
  }

  /** Options with every default: test fraction 0.2, seed 42, no tags, private, label kind inferred. */
  public static CsvOptions of(String name, String labelColumn) {
    return new CsvOptions(name, labelColumn, DEFAULT_TEST_FRACTION, DEFAULT_SEED, List.of(), Visibility.PRIVATE, List.of(), null);
  }

  public CsvOptions withTestFraction(double testFraction) {
    return new CsvOptions(name, labelColumn, testFraction, seed, tags, visibility, ignoreColumns, labelKind);
  }

  public CsvOptions withSeed(long seed) {
    return new CsvOptions(name, labelColumn, testFraction, seed, tags, visibility, ignoreColumns, labelKind);
  }

  public CsvOptions withTags(List<String> tags) {
    return new CsvOptions(name, labelColumn, testFraction, seed, tags, visibility, ignoreColumns, labelKind);
  }

  public CsvOptions withVisibility(Visibility visibility) {
    return new CsvOptions(name, labelColumn, testFraction, seed, tags, visibility, ignoreColumns, labelKind);
  }

  public CsvOptions withIgnoreColumns(List<String> ignoreColumns) {
    return new CsvOptions(name, labelColumn, testFraction, seed, tags, visibility, ignoreColumns, labelKind);
  }

  public CsvOptions withLabelKind(LabelKind labelKind) {
    return new CsvOptions(name, labelColumn, testFraction, seed, tags, visibility, ignoreColumns, labelKind);
  }

  static void checkName(String name) {
    if (name == null || !DatasetMetadata.NAME.matcher(name).matches()) {
      throw new InvalidRequestException(
          "INVALID_DATASET", "dataset name '" + name + "' must be 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
  }

  static void checkTestFraction(double testFraction) {
    if (!(testFraction >= 0 && testFraction < 1)) {
      throw new InvalidRequestException("INVALID_DATASET", "the test fraction must be in [0, 1), got " + testFraction);
    }
  }

  static List<String> checkTags(List<String> tags) {
    if (tags == null) return List.of();
    for (String tag : tags) {
      if (tag == null || !DatasetMetadata.TAG.matcher(tag).matches()) {
        throw new InvalidRequestException("INVALID_DATASET", "tag '" + tag + "' must be 1 to 32 lower-case letters, digits, '.', '_' or '-'");
      }
    }
    if (tags.size() > DatasetMetadata.MAX_TAGS) {
      throw new InvalidRequestException("INVALID_DATASET", "a dataset may have at most " + DatasetMetadata.MAX_TAGS + " tags, got " + tags.size());
    }
    return List.copyOf(tags);
  }
}
