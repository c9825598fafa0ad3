package dev.fedgrid.cli;

import dev.fedgrid.core.data.Partitioners;
import dev.fedgrid.ml.IdxFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The public data sets the demo and the end-to-end benchmarks split between simulated hospitals:
 * the vendored breast-cancer CSV (carried inside the jar) and Fashion-MNIST when the machine has
 * it. Each split writes one file (or IDX directory) per hospital, so every node process reads only
 * its own rows.
 */
public final class DemoData {
  private static final String CANCER_RESOURCE = "/demo/breast_cancer_wisconsin.csv";
  /**
   * Where Fashion-MNIST is looked for, in order: {@code shared/data/fashion-mnist} beside the
   * checkout the {@code fedgrid} script runs from (system property {@code fedgrid.home}), the same
   * beside the working directory, and Debian's {@code dataset-fashion-mnist} package.
   */
  public static final List<Path> FASHION_MNIST_DIRS = fashionMnistDirs();

  private static List<Path> fashionMnistDirs() {
    var dirs = new ArrayList<Path>();
    String home = System.getProperty("fedgrid.home");
    if (home != null) dirs.add(Path.of(home).resolve("../shared/data/fashion-mnist").toAbsolutePath().normalize());
    dirs.add(Path.of("../shared/data/fashion-mnist").toAbsolutePath().normalize());
    dirs.add(Path.of("/usr/share/datasets/fashion-mnist"));
    return List.copyOf(new java.util.LinkedHashSet<>(dirs));
  }

  private DemoData() {}

  /** How rows are split between hospitals, with the seed that makes the split reproducible. */
  public record Partition(String kind, double parameter, long seed) {
    /**
     * Reads {@code iid}, {@code dirichlet:ALPHA} or {@code shards:K}.
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    public static Partition parse(String text, long seed) {
      String[] parts = text.strip().toLowerCase(Locale.ROOT).split(":", 2);
      try {
        Partition p = switch (parts[0]) {
          case "iid" -> new Partition("iid", 0, seed);
          case "dirichlet" -> new Partition("dirichlet", Double.parseDouble(parts[1]), seed);
          case "shards" -> new Partition("shards", Integer.parseInt(parts[1]), seed);
          default -> throw new IllegalArgumentException();
        };
        if (!p.kind.equals("iid") && !(p.parameter > 0)) throw new IllegalArgumentException();
        return p;
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("a partition is iid, dirichlet:ALPHA (e.g. dirichlet:0.5) or shards:K (e.g. shards:2), not '" + text + "'");
      }
    }

    List<int[]> apply(int[] labels, int n) {
      return switch (kind) {
        case "dirichlet" -> Partitioners.dirichlet(labels, n, parameter, seed);
        case "shards" -> Partitioners.shards(labels, n, (int) parameter, seed);
        default -> Partitioners.iid(labels.length, n, seed);
      };
    }

    /** For people: "IID", "label skew, Dirichlet α = 0.5", ... */
    public String describe() {
      return switch (kind) {
        case "dirichlet" -> "label skew, Dirichlet α = " + parameter;
        case "shards" -> (int) parameter + " label shards per hospital";
        default -> "IID";
      };
    }
  }

  /** The first directory holding Fashion-MNIST's training images, if any. */
  public static Optional<Path> findFashionMnist() {
    return FASHION_MNIST_DIRS.stream()
        .filter(d -> Files.exists(d.resolve("train-images-idx3-ubyte.gz")) || Files.exists(d.resolve("train-images-idx3-ubyte")))
        .findFirst();
  }

  /** Splits the breast-cancer CSV into {@code hospital-<i>.csv} files under {@code dir}. */
  public static List<Path> splitCancer(Path dir, int n, Partition split) throws IOException {
    List<String> lines;
    try (InputStream in = DemoData.class.getResourceAsStream(CANCER_RESOURCE)) {
      if (in == null) throw new IllegalStateException("the demo data " + CANCER_RESOURCE + " is missing from the fedgrid-cli jar; rebuild with ./mvnw install");
      lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().filter(l -> !l.isBlank()).toList();
    }
    String header = lines.getFirst();
    List<String> rows = lines.subList(1, lines.size());
    int labelColumn = List.of(header.split(",")).indexOf("benign");
    int[] labels = rows.stream().mapToInt(row -> (int) Double.parseDouble(row.split(",")[labelColumn])).toArray();
    List<int[]> parts = split.apply(labels, n);
    Files.createDirectories(dir);
    var files = new ArrayList<Path>();
    for (int i = 0; i < n; i++) {
      var content = new StringBuilder(header).append('\n');
      for (int row : parts.get(i)) content.append(rows.get(row)).append('\n');
      Path file = dir.resolve("hospital-" + (i + 1) + ".csv");
      Files.writeString(file, content);
      files.add(file);
    }
    return files;
  }

  /**
   * Splits Fashion-MNIST's training images by {@code split} and its test images evenly, writing
   * gzipped IDX files into {@code dir/hospital-<i>/}.
   */
  public static List<Path> splitFashionMnist(Path source, Path dir, int n, Partition split) throws IOException {
    IdxFiles.Images train = IdxFiles.readImages(idx(source, "train-images-idx3-ubyte"));
    byte[] trainLabels = IdxFiles.readLabels(idx(source, "train-labels-idx1-ubyte"));
    IdxFiles.Images test = IdxFiles.readImages(idx(source, "t10k-images-idx3-ubyte"));
    byte[] testLabels = IdxFiles.readLabels(idx(source, "t10k-labels-idx1-ubyte"));
    int[] labels = new int[trainLabels.length];
    for (int i = 0; i < labels.length; i++) labels[i] = trainLabels[i] & 0xff;
    List<int[]> trainParts = split.apply(labels, n);
    List<int[]> testParts = Partitioners.iid(testLabels.length, n, split.seed());
    var dirs = new ArrayList<Path>();
    for (int i = 0; i < n; i++) {
      Path hospital = Files.createDirectories(dir.resolve("hospital-" + (i + 1)));
      write(hospital, "train", train, trainLabels, trainParts.get(i));
      write(hospital, "t10k", test, testLabels, testParts.get(i));
      dirs.add(hospital);
    }
    return dirs;
  }

  private static void write(Path dir, String prefix, IdxFiles.Images images, byte[] labels, int[] rows) throws IOException {
    int size = images.rows() * images.cols();
    byte[] pixels = new byte[rows.length * size];
    byte[] picked = new byte[rows.length];
    for (int k = 0; k < rows.length; k++) {
      System.arraycopy(images.pixels(), rows[k] * size, pixels, k * size, size);
      picked[k] = labels[rows[k]];
    }
    IdxFiles.writeImages(dir.resolve(prefix + "-images-idx3-ubyte.gz"), images.rows(), images.cols(), pixels, rows.length);
    IdxFiles.writeLabels(dir.resolve(prefix + "-labels-idx1-ubyte.gz"), picked);
  }

  private static Path idx(Path dir, String name) {
    Path gz = dir.resolve(name + ".gz");
    return Files.exists(gz) ? gz : dir.resolve(name);
  }
}
