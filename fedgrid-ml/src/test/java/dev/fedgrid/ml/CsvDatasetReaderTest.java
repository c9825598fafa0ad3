package dev.fedgrid.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelKind;
import dev.fedgrid.api.dataset.Visibility;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.IntFunction;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvDatasetReaderTest {
  @TempDir Path dir;

  @Test
  void readsBreastCancerWithAStratifiedSplitAndTrainOnlyStatistics() {
    LocalDataset data = TestData.breastCancer();
    DatasetMetadata m = data.metadata();

    assertThat(m.name()).isEqualTo("breast-cancer");
    assertThat(m.format()).isEqualTo(DatasetFormat.CSV);
    assertThat(m.featureShape()).containsExactly(30);
    assertThat(m.visibility()).isEqualTo(Visibility.PRIVATE);
    assertThat(m.trainRows() + m.testRows()).isEqualTo(569);
    assertThat(m.testRows()).isEqualTo(Math.round(212 * 0.2) + Math.round(357 * 0.2));
    assertThat(m.label().kind()).isEqualTo(LabelKind.CATEGORICAL);
    assertThat(m.label().numClasses()).isEqualTo(2);
    assertThat(m.label().classCounts()).containsExactly(212L - Math.round(212 * 0.2), 357L - Math.round(357 * 0.2));
    assertThat(m.features()).hasSize(30);
    assertThat(m.features().getFirst().name()).isEqualTo("radius_mean");

    LocalData train = data.train();
    for (int j = 0; j < 30; j++) {
      double sum = 0;
      double squares = 0;
      for (int i = 0; i < train.rows(); i++) sum += train.features()[i * 30 + j];
      double mean = sum / train.rows();
      for (int i = 0; i < train.rows(); i++) squares += Math.pow(train.features()[i * 30 + j] - mean, 2);
      ColumnStats stats = m.features().get(j);
      assertThat(stats.count()).isEqualTo(train.rows());
      assertThat(stats.mean()).isCloseTo(mean, within(1e-9 * Math.abs(mean) + 1e-12));
      assertThat(stats.stddev()).isCloseTo(Math.sqrt(squares / train.rows()), within(1e-6 * stats.stddev() + 1e-12));
    }
    assertThat(data.test().labels()).containsOnly(0f, 1f);
  }

  @Test
  void infersCategoricalLabelsOnlyForDenseClassIndices() {
    assertThat(TestData.digits().metadata().label().numClasses()).isEqualTo(10);
    LocalDataset diabetes = CsvDatasetReader.read(TestData.dataDir().resolve("diabetes.csv"), CsvOptions.of("diabetes", "progression"));
    assertThat(diabetes.metadata().label().kind()).isEqualTo(LabelKind.CONTINUOUS);
    assertThat(diabetes.metadata().label().classCounts()).isEmpty();
    assertThat(diabetes.metadata().trainRows() + diabetes.metadata().testRows()).isEqualTo(442);
    assertThat(diabetes.metadata().testRows()).isEqualTo(Math.round(442 * 0.2));
  }

  @Test
  void theSplitDependsOnlyOnTheSeed() throws IOException {
    Path csv = write(rows("x,y", 240, i -> i + "," + (i % 3)));
    var options = CsvOptions.of("s", "y").withTestFraction(0.25);
    LocalDataset a = CsvDatasetReader.read(csv, options);
    LocalDataset b = CsvDatasetReader.read(csv, options);
    LocalDataset c = CsvDatasetReader.read(csv, options.withSeed(7));

    assertThat(b.test().features()).containsExactly(a.test().features());
    assertThat(c.test().features()).isNotEqualTo(a.test().features());
    assertThat(a.metadata().label().classCounts()).containsExactly(60L, 60L, 60L);
    assertThat(a.test().rows()).isEqualTo(60);
  }

  @Test
  void honoursIgnoredColumnsTagsVisibilityQuotesAndAnExplicitKind() throws IOException {
    Path csv = write("\uFEFF\"id\",\" a \",\"b \"\"quoted\"\"\",label", "1,1.5,\"2\",3", "", "2,-1e3,4,5", "3,0.25,6,7", "4,2,8,9");
    var options =
        CsvOptions.of("q", "label")
            .withIgnoreColumns(List.of("id"))
            .withTags(List.of("demo"))
            .withVisibility(Visibility.PUBLIC)
            .withLabelKind(LabelKind.CONTINUOUS)
            .withTestFraction(0);
    LocalDataset data = CsvDatasetReader.read(csv, options);

    assertThat(data.metadata().features()).extracting(ColumnStats::name).containsExactly("a", "b \"quoted\"");
    assertThat(data.metadata().tags()).containsExactly("demo");
    assertThat(data.metadata().visibility()).isEqualTo(Visibility.PUBLIC);
    assertThat(data.metadata().testRows()).isZero();
    assertThat(data.train().features()).containsExactly(1.5f, 2f, -1000f, 4f, 0.25f, 6f, 2f, 8f);
    assertThat(data.train().labels()).containsExactly(3f, 5f, 7f, 9f);
  }

  @Test
  void errorsNameTheRowAndColumnButNeverTheValue() throws IOException {
    assertInvalid(write("a,b,label", "1,2,0", "3,secret-42,1")).hasMessageContaining("row 2 (line 3), column 'b': not a number").hasMessageNotContaining("secret");
    assertInvalid(write("a,label", "1,0", "NaN,1")).hasMessageContaining("row 2 (line 3), column 'a': not a finite number").hasMessageNotContaining("NaN");
    assertInvalid(write("a,label", "Infinity,1")).hasMessageContaining("column 'a': not a finite number");
    assertInvalid(write("a,label", "1e300,1")).hasMessageContaining("column 'a': too large");
    assertInvalid(write("a,label", "1.5f,1")).hasMessageContaining("column 'a': not a number");
    assertInvalid(write("a,label", " ,1")).hasMessageContaining("column 'a': empty");
    assertInvalid(write("a,b,label", "1,2,0", "1,2")).hasMessageContaining("row 2 (line 3) has 2 fields but the header has 3");
    assertInvalid(write("a,label", "\"1,0")).hasMessageContaining("unterminated quote");
  }

  @Test
  void fileLevelErrorsSayWhatToDo() throws IOException {
    assertInvalid(write()).hasMessageContaining("empty");
    assertInvalid(write("a,label")).hasMessageContaining("no data rows");
    assertInvalid(write("a,a,label", "1,2,0")).hasMessageContaining("'a' appears twice");
    assertInvalid(write("a,,label", "1,2,0")).hasMessageContaining("column 2 of the header is empty");
    assertInvalid(write("label", "1")).hasMessageContaining("no feature columns");
    assertThatThrownBy(() -> CsvDatasetReader.read(write("radius,texture,benign", "1,2,0"), CsvOptions.of("x", "label")))
        .hasMessageContaining("no label column 'label'; the columns are [radius, texture, benign]");
    assertThatThrownBy(() -> CsvDatasetReader.read(write("a,label", "1,0"), CsvOptions.of("x", "label").withIgnoreColumns(List.of("id"))))
        .hasMessageContaining("no column 'id' to ignore");
    assertThatThrownBy(() -> CsvDatasetReader.read(dir.resolve("missing.csv"), CsvOptions.of("x", "label")))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("cannot read");
  }

  @Test
  void labelErrorsDoNotLeakTheLabel() throws IOException {
    Path fractional = write("a,label", "1,0", "2,1", "3,0.731");
    assertThatThrownBy(() -> CsvDatasetReader.read(fractional, CsvOptions.of("x", "label").withLabelKind(LabelKind.CATEGORICAL)))
        .hasMessageContaining("row 3, column 'label': not a class index")
        .hasMessageNotContaining("0.731");
    assertThat(CsvDatasetReader.read(fractional, CsvOptions.of("x", "label")).metadata().label().kind()).isEqualTo(LabelKind.CONTINUOUS);
    assertInvalid(write("a,label", "1,0", "2,0")).hasMessageContaining("single class");
  }

  @Test
  void optionsAreCheckedWhenBuilt() {
    assertThatThrownBy(() -> CsvOptions.of("Bad Name", "y")).isInstanceOf(InvalidRequestException.class).hasMessageContaining("dataset name");
    assertThatThrownBy(() -> CsvOptions.of("x", "y").withTestFraction(1)).hasMessageContaining("test fraction");
    assertThatThrownBy(() -> CsvOptions.of("x", "y").withTags(List.of("Not A Tag"))).hasMessageContaining("tag");
    assertThatThrownBy(() -> CsvOptions.of("x", "y").withIgnoreColumns(List.of("y"))).hasMessageContaining("also listed");
  }

  @Test
  void readsTensOfMegabytesInSeconds() throws IOException {
    var random = new Random(1);
    var header = new StringBuilder();
    for (int j = 0; j < 20; j++) header.append("f").append(j).append(',');
    header.append("label");
    Path csv = dir.resolve("big.csv");
    try (var out = Files.newBufferedWriter(csv)) {
      out.write(header + "\n");
      var line = new StringBuilder();
      for (int i = 0; i < 100_000; i++) {
        line.setLength(0);
        for (int j = 0; j < 20; j++) line.append(random.nextGaussian()).append(',');
        out.write(line.append(i % 2).append('\n').toString());
      }
    }
    long started = System.nanoTime();
    LocalDataset data = CsvDatasetReader.read(csv, CsvOptions.of("big", "label"));
    double seconds = (System.nanoTime() - started) / 1e9;

    assertThat(Files.size(csv)).isGreaterThan(30L << 20);
    assertThat(data.metadata().trainRows() + data.metadata().testRows()).isEqualTo(100_000);
    assertThat(seconds).as("seconds to read %d MB", Files.size(csv) >> 20).isLessThan(10);
  }

  private AbstractThrowableAssert<?, ? extends Throwable> assertInvalid(Path csv) {
    return assertThatThrownBy(() -> CsvDatasetReader.read(csv, CsvOptions.of("x", "label")))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageStartingWith(csv.toString())
        .satisfies(e -> assertThat(((InvalidRequestException) e).code()).isEqualTo("INVALID_DATASET"));
  }

  private int files;

  private Path write(String... lines) throws IOException {
    Path file = dir.resolve("data" + files++ + ".csv");
    Files.write(file, List.of(lines));
    return file;
  }

  private static String[] rows(String header, int n, IntFunction<String> row) {
    return Stream.concat(Stream.of(header), IntStream.range(0, n).mapToObj(row)).toArray(String[]::new);
  }
}
