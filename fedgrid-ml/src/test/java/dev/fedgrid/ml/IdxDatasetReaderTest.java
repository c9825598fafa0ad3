package dev.fedgrid.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxDatasetReaderTest {
  @TempDir Path dir;

  /** {@code count} images of 3x4 whose pixels encode their index; labels cycle 0, 1, 2. */
  private static byte[] pixels(int count, int first) {
    byte[] p = new byte[count * 12];
    for (int i = 0; i < p.length; i++) p[i] = (byte) (i / 12 + first == 0 && i % 12 == 11 ? 255 : i / 12 + first);
    return p;
  }

  private static byte[] labels(int count) {
    byte[] y = new byte[count];
    for (int i = 0; i < count; i++) y[i] = (byte) (i % 3);
    return y;
  }

  @Test
  void readsTrainAndT10kFilesPlainOrGzipped() throws IOException {
    IdxFiles.writeImages(dir.resolve("train-images-idx3-ubyte.gz"), 3, 4, pixels(21, 0), 21);
    IdxFiles.writeLabels(dir.resolve("train-labels-idx1-ubyte"), labels(21));
    IdxFiles.writeImages(dir.resolve("t10k-images-idx3-ubyte"), 3, 4, pixels(6, 100), 6);
    IdxFiles.writeLabels(dir.resolve("t10k-labels-idx1-ubyte.gz"), labels(6));

    LocalDataset data = IdxDatasetReader.read(dir, IdxOptions.of("tiny").withTags(List.of("images")));
    DatasetMetadata m = data.metadata();

    assertThat(m.format()).isEqualTo(DatasetFormat.IDX);
    assertThat(m.featureShape()).containsExactly(1, 3, 4);
    assertThat(m.features()).isEmpty();
    assertThat(m.trainRows()).isEqualTo(21);
    assertThat(m.testRows()).isEqualTo(6);
    assertThat(m.label().column()).isEqualTo("label");
    assertThat(m.label().numClasses()).isEqualTo(3);
    assertThat(m.label().classCounts()).containsExactly(7L, 7L, 7L);
    assertThat(m.tags()).containsExactly("images");
    assertThat(Arrays.copyOfRange(data.train().features(), 0, 12)).containsExactly(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255);
    assertThat(data.train().features()[20 * 12]).isEqualTo(20f);
    assertThat(data.test().features()[0]).isEqualTo(100f);
    assertThat(data.test().labels()).containsExactly(0, 1, 2, 0, 1, 2);
  }

  @Test
  void splitsTheTrainingFilesWhenThereIsNoTestSplit() throws IOException {
    IdxFiles.writeImages(dir.resolve("train-images-idx3-ubyte"), 3, 4, pixels(40, 0), 40);
    IdxFiles.writeLabels(dir.resolve("train-labels-idx1-ubyte"), Arrays.copyOf(labels(40), 40));

    LocalDataset data = IdxDatasetReader.read(dir, IdxOptions.of("tiny").withTestFraction(0.25));

    assertThat(data.metadata().trainRows() + data.metadata().testRows()).isEqualTo(40);
    assertThat(data.metadata().testRows()).isEqualTo(Math.round(14 * 0.25) + Math.round(13 * 0.25) * 2);
    assertThat(data.metadata().label().classCounts().stream().mapToLong(Long::longValue).sum()).isEqualTo(data.metadata().trainRows());
    float[] first = Arrays.copyOfRange(data.test().features(), 0, 12);
    assertThat(first).containsOnly(first[0]); // each image stays whole
  }

  @Test
  void rejectsFilesThatDoNotFit() throws IOException {
    Path images = dir.resolve("train-images-idx3-ubyte");
    Path labelFile = dir.resolve("train-labels-idx1-ubyte");
    IdxFiles.writeImages(images, 3, 4, pixels(5, 0), 5);

    assertInvalid(dir).hasMessageContaining("no train-labels-idx1-ubyte[.gz]");

    IdxFiles.writeLabels(labelFile, labels(4));
    assertInvalid(dir).hasMessageContaining("holds 5 images but").hasMessageContaining("holds 4 labels");

    IdxFiles.writeLabels(labelFile, labels(5));
    IdxFiles.writeImages(dir.resolve("t10k-images-idx3-ubyte"), 3, 4, pixels(2, 0), 2);
    assertInvalid(dir).hasMessageContaining("t10k images but no t10k labels");
    Files.delete(dir.resolve("t10k-images-idx3-ubyte"));

    Files.write(images, Arrays.copyOf(Files.readAllBytes(images), 16 + 30));
    assertInvalid(dir).hasMessageContaining("truncated");

    IdxFiles.writeImages(images, 3, 4, pixels(5, 0), 5);
    Files.write(images, new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
    assertInvalid(dir).hasMessageContaining("more bytes");

    IdxFiles.writeLabels(images, labels(5));
    assertInvalid(dir).hasMessageContaining("not an IDX image file (magic number 2049, expected 2051)");

    Files.write(images, new byte[] {0, 0, 8});
    assertInvalid(dir).hasMessageContaining("ends inside its header");

    assertInvalid(dir.resolve("nowhere")).hasMessageContaining("is not a directory");
  }

  @Test
  void writeImagesChecksThePixelCount() {
    assertThatThrownBy(() -> IdxFiles.writeImages(dir.resolve("x"), 3, 4, new byte[11], 1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void readsFashionMnistWhenPresent() {
    Path found =
        Stream.of(TestData.dataDir().getParent().resolve("../shared/data/fashion-mnist"), Path.of("/usr/share/datasets/fashion-mnist"))
            .filter(p -> Files.isDirectory(p))
            .findFirst()
            .orElse(null);
    Assumptions.assumeTrue(
        found != null,
        "Fashion-MNIST not found; put its four IDX files in ../shared/data/fashion-mnist/ next to the repository, or install the Debian package dataset-fashion-mnist");

    LocalDataset data = IdxDatasetReader.read(found, IdxOptions.of("fashion-mnist"));

    assertThat(data.metadata().featureShape()).containsExactly(1, 28, 28);
    assertThat(data.metadata().trainRows()).isEqualTo(60_000);
    assertThat(data.metadata().testRows()).isEqualTo(10_000);
    assertThat(data.metadata().label().classCounts()).hasSize(10).containsOnly(6000L);
  }

  private static org.assertj.core.api.AbstractThrowableAssert<?, ? extends Throwable> assertInvalid(Path directory) {
    return assertThatThrownBy(() -> IdxDatasetReader.read(directory, IdxOptions.of("tiny")))
        .isInstanceOf(InvalidRequestException.class)
        .satisfies(e -> assertThat(((InvalidRequestException) e).code()).isEqualTo("INVALID_DATASET"));
  }
}
