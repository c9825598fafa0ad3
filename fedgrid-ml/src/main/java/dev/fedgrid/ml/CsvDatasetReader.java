package dev.fedgrid.ml;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.LabelKind;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

/**
 * Reads a CSV file with a header row into a {@link LocalDataset}: the label column by name, every
 * other column not ignored as a numeric feature, split into train and test rows by seed (stratified
 * by class for categorical labels), with column statistics and class counts computed on the
 * training rows only.
 *
 * <p>Fields are separated by commas and may be quoted with {@code "} (a quote inside is doubled);
 * blank lines are skipped; missing values are not supported. A file that does not fit gets an
 * {@link InvalidRequestException} with code {@code INVALID_DATASET} naming the file, row, line and
 * column, and never a cell's value: values are private data. Parses tens of megabytes a second.
 *
 * <p>Stateless and thread-safe.
 */
public final class CsvDatasetReader {
  /** Integer labels below this may be inferred as class indices. */
  static final int MAX_INFERRED_CLASSES = 1000;

  private CsvDatasetReader() {}

  /**
   * Reads {@code csv} as described by {@code options}.
   *
   * @throws InvalidRequestException with code {@code INVALID_DATASET} when the file cannot be read
   *     or does not fit the options
   */
  public static LocalDataset read(Path csv, CsvOptions options) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(Files.newInputStream(csv), StandardCharsets.UTF_8), 1 << 16)) {
      return new Parse(csv, options).read(in);
    } catch (IOException e) {
      throw invalid(csv + ": cannot read the file (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
    }
  }

  private static InvalidRequestException invalid(String message, Throwable cause) {
    return new InvalidRequestException("INVALID_DATASET", message, Map.of(), cause);
  }

  /** The state of one read. */
  private static final class Parse {
    private final Path file;
    private final CsvOptions options;
    private final List<String> fields = new ArrayList<>();
    private int line;
    private int row;

    Parse(Path file, CsvOptions options) {
      this.file = file;
      this.options = options;
    }

    LocalDataset read(BufferedReader in) throws IOException {
      String text = nextLine(in);
      if (text == null) throw error("the file is empty; it needs a header row and at least one data row");
      if (text.startsWith("\uFEFF")) text = text.substring(1);
      List<String> header = List.copyOf(split(text));
      int labelIndex = checkHeader(header);
      var ignored = new HashSet<>(options.ignoreColumns());
      int[] featureIndex = new int[header.size()];
      var featureNames = new ArrayList<String>();
      for (int i = 0; i < header.size(); i++) {
        featureIndex[i] = -1;
        if (i != labelIndex && !ignored.contains(header.get(i))) {
          featureIndex[i] = featureNames.size();
          featureNames.add(header.get(i));
        }
      }
      int width = featureNames.size();
      if (width == 0) throw error("no feature columns are left besides the label and the ignored columns");
      if (width > DatasetMetadata.MAX_FEATURES) throw error("has " + width + " feature columns, more than " + DatasetMetadata.MAX_FEATURES);

      float[] features = new float[width * 1024];
      double[] labels = new double[1024];
      while ((text = nextLine(in)) != null) {
        row++;
        List<String> cells = split(text);
        if (cells.size() != header.size()) {
          throw error(where() + " has " + cells.size() + " fields but the header has " + header.size() + "; every row needs one value per column");
        }
        if (row > labels.length) {
          if ((long) labels.length * 2 * width > Integer.MAX_VALUE - 8) throw error("has too many values to load; split the file into several datasets");
          labels = Arrays.copyOf(labels, labels.length * 2);
          features = Arrays.copyOf(features, labels.length * width);
        }
        int base = (row - 1) * width;
        for (int i = 0; i < cells.size(); i++) {
          if (i == labelIndex) {
            labels[row - 1] = number(cells.get(i), header.get(i));
          } else if (featureIndex[i] >= 0) {
            double v = number(cells.get(i), header.get(i));
            float f = (float) v;
            if (!Float.isFinite(f)) throw error(where() + ", column '" + header.get(i) + "': too large for a 32-bit float");
            features[base + featureIndex[i]] = f;
          }
        }
      }
      if (row == 0) throw error("has a header but no data rows");
      return build(header.get(labelIndex), featureNames, Arrays.copyOf(features, row * width), Arrays.copyOf(labels, row));
    }

    private LocalDataset build(String labelName, List<String> featureNames, float[] features, double[] rawLabels) {
      int rows = rawLabels.length;
      int numClasses = numClasses(labelName, rawLabels);
      float[] labels = new float[rows];
      for (int i = 0; i < rows; i++) labels[i] = (float) rawLabels[i];
      int width = featureNames.size();
      List<Integer> shape = List.of(width);
      int[][] split = Splits.split(labels, numClasses, options.testFraction(), options.seed());
      LocalData train = Splits.gather(shape, width, features, labels, split[0]);
      LocalData test = Splits.gather(shape, width, features, labels, split[1]);
      List<ColumnStats> stats = Splits.columnStats(featureNames, train);
      LabelInfo label =
          numClasses > 0 ? LabelInfo.categorical(labelName, Splits.classCounts(train.labels(), numClasses)) : LabelInfo.continuous(labelName);
      var metadata =
          new DatasetMetadata(
              options.name(), DatasetFormat.CSV, shape, stats, label, train.rows(), test.rows(), options.tags(), options.visibility());
      return new LocalDataset(metadata, train, test);
    }

    /** The number of classes of a categorical label, or 0 for a continuous one. */
    private int numClasses(String labelName, double[] labels) {
      LabelKind kind = options.labelKind();
      if (kind == LabelKind.CONTINUOUS) return 0;
      int limit = kind == LabelKind.CATEGORICAL ? LabelInfo.MAX_CLASSES : MAX_INFERRED_CLASSES;
      int max = -1;
      for (int i = 0; i < labels.length; i++) {
        double y = labels[i];
        if (!(y >= 0 && y < limit && y == Math.rint(y))) {
          if (kind == null) return 0;
          throw error("row " + (i + 1) + ", column '" + labelName + "': not a class index (an integer in [0, " + limit + ")); "
              + "number the classes 0, 1, 2, ... or read the label as continuous");
        }
        max = Math.max(max, (int) y);
      }
      if (kind == null) {
        boolean[] seen = new boolean[max + 1];
        for (double y : labels) seen[(int) y] = true;
        for (boolean s : seen) {
          if (!s) return 0; // gaps in 0..max: more likely a count or a score than a class index
        }
      }
      if (max < 1) {
        throw error("label column '" + labelName + "' holds a single class; a categorical label needs at least two classes, or read it as continuous");
      }
      return max + 1;
    }

    private int checkHeader(List<String> header) {
      var seen = new HashSet<String>();
      for (int i = 0; i < header.size(); i++) {
        String name = header.get(i);
        if (name.isEmpty()) throw error("column " + (i + 1) + " of the header is empty; every column needs a name");
        if (name.length() > 256) throw error("column " + (i + 1) + " of the header is longer than 256 characters");
        if (!seen.add(name)) throw error("column '" + name + "' appears twice in the header");
      }
      for (String ignored : options.ignoreColumns()) {
        if (!seen.contains(ignored)) throw error("has no column '" + ignored + "' to ignore; the columns are " + header);
      }
      int label = header.indexOf(options.labelColumn());
      if (label < 0) throw error("has no label column '" + options.labelColumn() + "'; the columns are " + header);
      return label;
    }

    private double number(String cell, String column) {
      String s = cell.strip();
      if (s.isEmpty()) throw error(where() + ", column '" + column + "': empty; missing values are not supported, fill or drop them first");
      double v;
      try {
        v = Double.parseDouble(s);
      } catch (NumberFormatException e) {
        throw error(where() + ", column '" + column + "': not a number");
      }
      char last = s.charAt(s.length() - 1);
      if (last == 'd' || last == 'D' || last == 'f' || last == 'F') throw error(where() + ", column '" + column + "': not a number");
      if (!Double.isFinite(v)) throw error(where() + ", column '" + column + "': not a finite number");
      return v;
    }

    /** The next non-blank line, or null at the end. */
    private String nextLine(BufferedReader in) throws IOException {
      String text;
      do {
        text = in.readLine();
        line++;
      } while (text != null && text.isBlank());
      return text;
    }

    /** Splits one line into fields, unquoting {@code "..."} fields; reuses one list. */
    private List<String> split(String text) {
      fields.clear();
      if (text.indexOf('"') < 0) {
        int start = 0;
        for (int i = text.indexOf(','); i >= 0; i = text.indexOf(',', start)) {
          fields.add(text.substring(start, i).strip());
          start = i + 1;
        }
        fields.add(text.substring(start).strip());
        return fields;
      }
      var field = new StringBuilder();
      boolean quoted = false;
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (quoted) {
          if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
            field.append('"');
            i++;
          } else if (c == '"') {
            quoted = false;
          } else {
            field.append(c);
          }
        } else if (c == '"') {
          quoted = true;
        } else if (c == ',') {
          fields.add(field.toString().strip());
          field.setLength(0);
        } else {
          field.append(c);
        }
      }
      if (quoted) throw error((row == 0 ? "the header" : where()) + " has an unterminated quote; quoted fields may not span lines");
      fields.add(field.toString().strip());
      return fields;
    }

    private String where() {
      return "row " + row + " (line " + line + ")";
    }

    private InvalidRequestException error(String message) {
      return invalid(file + ": " + message, null);
    }
  }
}
