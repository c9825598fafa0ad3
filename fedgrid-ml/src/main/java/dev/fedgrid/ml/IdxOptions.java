package dev.fedgrid.ml;

import dev.fedgrid.api.dataset.Visibility;
import java.util.List;

/**
 * How {@link IdxDatasetReader} reads a directory of IDX files into a dataset; immutable and checked
 * when built. Start from {@link #of(String)}.
 *
 * @param name the dataset's name
 * @param testFraction share of training images held out when the directory has no {@code t10k}
 *     files, in [0, 1) (default 0.2)
 * @param seed seed of that split (default 42)
 * @param tags search tags (default none)
 * @param visibility public or private (default private)
 */
public record IdxOptions(String name, double testFraction, long seed, List<String> tags, Visibility visibility) {
  public IdxOptions {
    CsvOptions.checkName(name);
    CsvOptions.checkTestFraction(testFraction);
    tags = CsvOptions.checkTags(tags);
    visibility = visibility == null ? Visibility.PRIVATE : visibility;
  }

  /** Options with every default: test fraction 0.2, seed 42, no tags, private. */
  public static IdxOptions of(String name) {
    return new IdxOptions(name, CsvOptions.DEFAULT_TEST_FRACTION, CsvOptions.DEFAULT_SEED, List.of(), Visibility.PRIVATE);
  }

  public IdxOptions withTestFraction(double testFraction) {
    return new IdxOptions(name, testFraction, seed, tags, visibility);
  }

  public IdxOptions withSeed(long seed) {
    return new IdxOptions(name, testFraction, seed, tags, visibility);
  }

  public IdxOptions withTags(List<String> tags) {
    return new IdxOptions(name, testFraction, seed, tags, visibility);
  }

  public IdxOptions withVisibility(Visibility visibility) {
    return new IdxOptions(name, testFraction, seed, tags, visibility);
  }
}
