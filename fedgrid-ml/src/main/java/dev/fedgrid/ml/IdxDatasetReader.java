package dev.fedgrid.ml;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a directory of IDX files in the MNIST layout into a {@link LocalDataset}: {@code
 * train-images-idx3-ubyte} and {@code train-labels-idx1-ubyte}, and when present {@code
 * t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte} as the test split (otherwise the
 * training images are split by the options' test fraction, stratified by class). Each file may also
 * be gzipped with a {@code .gz} suffix.
 *
 * <p>Features have shape {@code [1, rows, cols]} and hold the raw pixel values 0..255 as floats;
 * the job's feature scaling maps them (for example mean 0, scale 255). The label column is called
 * {@value #LABEL_COLUMN}; its number of classes is the largest label plus one. Image datasets carry
 * no column statistics.
 *
 * <p>Stateless and thread-safe.
 */
public final class IdxDatasetReader {
  /** The label's name in the metadata. */
  public static final String LABEL_COLUMN = "label";

  private IdxDatasetReader() {}

  /**
   * Reads the IDX files in {@code directory} as described by {@code options}.
   *
   * @throws InvalidRequestException with code {@code INVALID_DATASET} when a file is missing,
   *     unreadable or inconsistent with the others
   */
  public static LocalDataset read(Path directory, IdxOptions options) {
    if (!Files.isDirectory(directory)) {
      throw invalid(directory + " is not a directory; point the dataset at the directory holding train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]");
    }
    Path trainImages = find(directory, "train-images-idx3-ubyte");
    Path trainLabels = find(directory, "train-labels-idx1-ubyte");
    if (trainImages == null || trainLabels == null) {
      throw invalid(directory + " has no " + (trainImages == null ? "train-images-idx3-ubyte" : "train-labels-idx1-ubyte")
          + "[.gz]; put the training split's IDX image and label files there");
    }
    Path testImages = find(directory, "t10k-images-idx3-ubyte");
    Path testLabels = find(directory, "t10k-labels-idx1-ubyte");
    if ((testImages == null) != (testLabels == null)) {
      throw invalid(directory + " has " + (testImages == null ? "t10k labels but no t10k images" : "t10k images but no t10k labels")
          + "; add the missing file or remove the other to split the training files instead");
    }
    IdxFiles.Images train = IdxFiles.readImages(trainImages);
    byte[] trainY = IdxFiles.readLabels(trainLabels);
    checkCount(train, trainY, trainImages, trainLabels);
    if (train.count() == 0) throw invalid(trainImages + " holds no images");
    List<Integer> shape = List.of(1, train.rows(), train.cols());
    int width = train.rows() * train.cols();

    LocalData trainData;
    LocalData testData;
    int numClasses;
    if (testImages != null) {
      IdxFiles.Images test = IdxFiles.readImages(testImages);
      byte[] testY = IdxFiles.readLabels(testLabels);
      checkCount(test, testY, testImages, testLabels);
      if (test.rows() != train.rows() || test.cols() != train.cols()) {
        throw invalid(testImages + " holds " + test.rows() + "x" + test.cols() + " images but " + trainImages + " holds " + train.rows() + "x" + train.cols());
      }
      numClasses = Math.max(maxLabel(trainY), maxLabel(testY)) + 1;
      trainData = new LocalData(shape, toFloats(train.pixels()), toFloats(trainY), train.count());
      testData = new LocalData(shape, toFloats(test.pixels()), toFloats(testY), test.count());
    } else {
      numClasses = maxLabel(trainY) + 1;
      float[] labels = toFloats(trainY);
      int[][] split = Splits.split(labels, numClasses, options.testFraction(), options.seed());
      float[] features = toFloats(train.pixels());
      trainData = Splits.gather(shape, width, features, labels, split[0]);
      testData = Splits.gather(shape, width, features, labels, split[1]);
    }
    if (numClasses < 2) throw invalid(trainLabels + " holds a single class; a classification dataset needs at least two");
    var label = LabelInfo.categorical(LABEL_COLUMN, Splits.classCounts(trainData.labels(), numClasses));
    var metadata =
        new DatasetMetadata(
            options.name(), DatasetFormat.IDX, shape, List.of(), label, trainData.rows(), testData.rows(), options.tags(), options.visibility());
    return new LocalDataset(metadata, trainData, testData);
  }

  /** {@code directory/name}, else {@code directory/name.gz}, else null. */
  private static Path find(Path directory, String name) {
    Path plain = directory.resolve(name);
    if (Files.isRegularFile(plain)) return plain;
    Path gz = directory.resolve(name + ".gz");
    return Files.isRegularFile(gz) ? gz : null;
  }

  private static void checkCount(IdxFiles.Images images, byte[] labels, Path imageFile, Path labelFile) {
    if (images.count() != labels.length) {
      throw invalid(imageFile + " holds " + images.count() + " images but " + labelFile + " holds " + labels.length + " labels; they must match one to one");
    }
  }

  private static int maxLabel(byte[] labels) {
    int max = 0;
    for (byte b : labels) max = Math.max(max, b & 0xff);
    return max;
  }

  private static float[] toFloats(byte[] bytes) {
    float[] out = new float[bytes.length];
    for (int i = 0; i < bytes.length; i++) out[i] = bytes[i] & 0xff;
    return out;
  }

  private static InvalidRequestException invalid(String message) {
    return new InvalidRequestException("INVALID_DATASET", message);
  }
}
