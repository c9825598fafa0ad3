package dev.fedgrid.node;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelKind;
import dev.fedgrid.api.dataset.Visibility;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One dataset a node hosts, as given on the command line with {@code --dataset}. Immutable and
 * checked when built.
 *
 * <p>The option is a list of {@code key=value} pairs separated by commas:
 *
 * <pre>
 *   name=cancer,path=data/breast_cancer_wisconsin.csv,label=benign,test=0.2,tags=health,oncology,visibility=private
 * </pre>
 *
 * <table>
 *   <caption>Keys</caption>
 *   <tr><th>key</th><th>meaning</th><th>default</th></tr>
 *   <tr><td>{@code name}</td><td>the dataset's name: lower-case letters, digits, '.', '_', '-'</td><td>required</td></tr>
 *   <tr><td>{@code path}</td><td>a CSV file, or a directory of IDX files</td><td>required</td></tr>
 *   <tr><td>{@code label}</td><td>the CSV column to predict</td><td>required for CSV; IDX has its own labels</td></tr>
 *   <tr><td>{@code test}</td><td>share of rows held out for federated evaluation, in [0, 1)</td><td>0.2</td></tr>
 *   <tr><td>{@code tags}</td><td>search tags</td><td>none</td></tr>
 *   <tr><td>{@code visibility}</td><td>{@code public} or {@code private}</td><td>private</td></tr>
 *   <tr><td>{@code format}</td><td>{@code csv} or {@code idx}</td><td>idx for a directory, csv for a {@code *.csv} file</td></tr>
 *   <tr><td>{@code ignore}</td><td>CSV columns that are neither features nor label (such as ids), separated by ';'</td><td>none</td></tr>
 *   <tr><td>{@code seed}</td><td>seed of the train/test split</td><td>42</td></tr>
 *   <tr><td>{@code kind}</td><td>the CSV label's kind, {@code categorical} or {@code continuous}; give it
 *       when a node's rows may lack some classes (label-skewed splits)</td><td>inferred: categorical when the
 *       labels are exactly the integers 0..k</td></tr>
 * </table>
 *
 * <p>A segment without {@code =} continues the previous value, comma included: that is how a
 * list of tags is written ({@code tags=health,oncology}), and why a path may contain commas. To
 * give a value that itself contains {@code =} after a comma, rename the file.
 *
 * @param name the dataset's name, unique on the node
 * @param path where the rows are
 * @param label the label column (CSV); empty for IDX
 * @param testFraction share of rows held out for evaluation
 * @param tags search tags
 * @param visibility who may see results
 * @param format how the rows are stored
 * @param ignoreColumns CSV columns to skip
 * @param seed seed of the train/test split
 * @param labelKind the CSV label's kind; empty to infer it from the values
 */
public record DatasetOption(
    String name,
    Path path,
    Optional<String> label,
    double testFraction,
    List<String> tags,
    Visibility visibility,
    DatasetFormat format,
    List<String> ignoreColumns,
    long seed,
    Optional<LabelKind> labelKind) {
  /** The keys {@link #parse} accepts, in the order {@code --help} lists them. */
  public static final List<String> KEYS = List.of("name", "path", "label", "test", "tags", "visibility", "format", "ignore", "seed", "kind");

  public static final double DEFAULT_TEST_FRACTION = 0.2;
  public static final long DEFAULT_SEED = 42;

  public DatasetOption {
    if (name == null || !DatasetMetadata.NAME.matcher(name).matches()) {
      throw invalid("name '" + name + "' must be 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    Objects.requireNonNull(path, "path");
    label = label == null ? Optional.empty() : label.filter(l -> !l.isBlank());
    Objects.requireNonNull(format, "format");
    if (format == DatasetFormat.CSV && label.isEmpty()) {
      throw invalid("dataset " + name + " is a CSV file and needs label=COLUMN, the header of the column to predict");
    }
    if (!(testFraction >= 0 && testFraction < 1)) {
      throw invalid("dataset " + name + ": test must be in [0, 1), got " + testFraction);
    }
    tags = List.copyOf(tags == null ? List.of() : tags);
    if (tags.size() > DatasetMetadata.MAX_TAGS) {
      throw invalid("dataset " + name + " has " + tags.size() + " tags; at most " + DatasetMetadata.MAX_TAGS + " are allowed");
    }
    for (String tag : tags) {
      if (!DatasetMetadata.TAG.matcher(tag).matches()) {
        throw invalid("dataset " + name + ": tag '" + tag + "' must be 1 to 32 lower-case letters, digits, '.', '_' or '-'");
      }
    }
    visibility = visibility == null ? Visibility.PRIVATE : visibility;
    ignoreColumns = List.copyOf(ignoreColumns == null ? List.of() : ignoreColumns);
    labelKind = labelKind == null ? Optional.empty() : labelKind;
    if (labelKind.isPresent() && format != DatasetFormat.CSV) {
      throw invalid("dataset " + name + ": kind= applies to CSV labels; IDX labels are always categorical");
    }
    if (label.isPresent() && ignoreColumns.contains(label.get())) {
      throw invalid("dataset " + name + ": the label column '" + label.get() + "' is also listed in ignore");
    }
  }

  /**
   * Parses the {@code --dataset} syntax described on this class.
   *
   * @throws InvalidRequestException with code {@code INVALID_DATASET_OPTION} naming the bad key or
   *     value and listing the valid keys
   */
  public static DatasetOption parse(String option) {
    if (option == null || option.isBlank()) {
      throw invalid("--dataset needs name=NAME,path=PATH[,label=COLUMN,...]; valid keys: " + String.join(", ", KEYS));
    }
    Map<String, String> values = pairs(option);
    String name = values.get("name");
    if (name == null) throw invalid("--dataset '" + option + "' has no name=; valid keys: " + String.join(", ", KEYS));
    String rawPath = values.get("path");
    if (rawPath == null) throw invalid("--dataset " + name + " has no path=: give the CSV file or IDX directory");
    Path path;
    try {
      path = Path.of(rawPath);
    } catch (InvalidPathException e) {
      throw invalid("--dataset " + name + ": path '" + rawPath + "' is not a valid path: " + e.getReason());
    }
    DatasetFormat format = values.containsKey("format") ? format(name, values.get("format")) : guessFormat(name, path);
    return new DatasetOption(
        name,
        path,
        Optional.ofNullable(values.get("label")),
        values.containsKey("test") ? number(name, "test", values.get("test")) : DEFAULT_TEST_FRACTION,
        values.containsKey("tags") ? list(values.get("tags"), ",") : List.of(),
        values.containsKey("visibility") ? visibility(name, values.get("visibility")) : Visibility.PRIVATE,
        format,
        values.containsKey("ignore") ? list(values.get("ignore"), ";") : List.of(),
        values.containsKey("seed") ? seed(name, values.get("seed")) : DEFAULT_SEED,
        values.containsKey("kind") ? Optional.of(kind(name, values.get("kind"))) : Optional.empty());
  }

  /** The option in the syntax {@link #parse} reads. */
  public String toOptionString() {
    var s = new StringBuilder("name=").append(name).append(",path=").append(path);
    label.ifPresent(l -> s.append(",label=").append(l));
    s.append(",test=").append(testFraction);
    if (!tags.isEmpty()) s.append(",tags=").append(String.join(",", tags));
    s.append(",visibility=").append(visibility.name().toLowerCase(Locale.ROOT));
    s.append(",format=").append(format.name().toLowerCase(Locale.ROOT));
    if (!ignoreColumns.isEmpty()) s.append(",ignore=").append(String.join(";", ignoreColumns));
    s.append(",seed=").append(seed);
    labelKind.ifPresent(k -> s.append(",kind=").append(k.name().toLowerCase(Locale.ROOT)));
    return s.toString();
  }

  private static Map<String, String> pairs(String option) {
    var values = new LinkedHashMap<String, String>();
    String key = null;
    for (String segment : option.split(",", -1)) {
      int eq = segment.indexOf('=');
      if (eq < 0) {
        if (key == null) {
          throw invalid("--dataset '" + option + "' must start with key=value, such as name=NAME; valid keys: " + String.join(", ", KEYS));
        }
        values.put(key, values.get(key) + "," + segment); // continues the previous value
        continue;
      }
      key = segment.substring(0, eq).trim().toLowerCase(Locale.ROOT);
      if (!KEYS.contains(key)) {
        throw invalid("--dataset has an unknown key '" + segment.substring(0, eq).trim() + "'; valid keys: " + String.join(", ", KEYS));
      }
      if (values.containsKey(key)) throw invalid("--dataset gives " + key + "= twice");
      values.put(key, segment.substring(eq + 1));
    }
    for (var e : values.entrySet()) {
      String v = e.getValue().trim();
      if (v.isEmpty() || v.endsWith(",")) throw invalid("--dataset has an empty value for " + e.getKey() + "=");
      e.setValue(v);
    }
    return values;
  }

  private static List<String> list(String value, String separator) {
    var out = new ArrayList<String>();
    for (String item : value.split(java.util.regex.Pattern.quote(separator), -1)) {
      String t = item.trim();
      if (t.isEmpty()) throw invalid("--dataset has an empty item in '" + value + "'");
      out.add(t);
    }
    return out;
  }

  private static double number(String name, String key, String value) {
    try {
      return Double.parseDouble(value);
    } catch (NumberFormatException e) {
      throw invalid("--dataset " + name + ": " + key + "=" + value + " is not a number; for example " + key + "=0.2");
    }
  }

  private static LabelKind kind(String name, String value) {
    return switch (value.strip().toLowerCase(Locale.ROOT)) {
      case "categorical" -> LabelKind.CATEGORICAL;
      case "continuous" -> LabelKind.CONTINUOUS;
      default -> throw invalid("--dataset " + name + ": kind=" + value + " is not categorical or continuous");
    };
  }

  private static long seed(String name, String value) {
    try {
      return Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw invalid("--dataset " + name + ": seed=" + value + " is not a whole number; for example seed=42");
    }
  }

  private static Visibility visibility(String name, String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "public" -> Visibility.PUBLIC;
      case "private" -> Visibility.PRIVATE;
      default -> throw invalid("--dataset " + name + ": visibility=" + value + " must be public or private");
    };
  }

  private static DatasetFormat format(String name, String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "csv" -> DatasetFormat.CSV;
      case "idx" -> DatasetFormat.IDX;
      default -> throw invalid("--dataset " + name + ": format=" + value + " must be csv or idx");
    };
  }

  private static DatasetFormat guessFormat(String name, Path path) {
    if (Files.isDirectory(path)) return DatasetFormat.IDX;
    String file = path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(Locale.ROOT);
    if (file.endsWith(".csv") || file.endsWith(".csv.gz")) return DatasetFormat.CSV;
    throw invalid(
        "--dataset " + name + ": cannot tell the format of '" + path + "' (not a directory, not *.csv); add format=csv or format=idx");
  }

  private static InvalidRequestException invalid(String message) {
    return new InvalidRequestException("INVALID_DATASET_OPTION", message);
  }
}
