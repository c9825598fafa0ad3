package dev.fedgrid.ml;

import dev.fedgrid.api.InvalidRequestException;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Reads and writes IDX files, the format of MNIST and Fashion-MNIST: a big-endian header (magic
 * number {@value #IMAGES_MAGIC} for unsigned-byte images with dimensions count, rows, columns;
 * {@value #LABELS_MAGIC} for unsigned-byte labels with a count) followed by the bytes. Files may be
 * gzipped: reading recognizes gzip by its first bytes, writing gzips when the name ends in {@code
 * .gz}.
 *
 * <p>Stateless and thread-safe.
 */
public final class IdxFiles {
  /** Magic number of an IDX file of unsigned-byte images, {@code [count, rows, cols]}. */
  public static final int IMAGES_MAGIC = 0x0803;
  /** Magic number of an IDX file of unsigned-byte labels, {@code [count]}. */
  public static final int LABELS_MAGIC = 0x0801;

  private IdxFiles() {}

  /**
   * Grey images: {@code count} images of {@code rows x cols} pixels (0..255 as unsigned bytes), each
   * row-major, one after another.
   */
  public record Images(int count, int rows, int cols, byte[] pixels) {
    public Images {
      Objects.requireNonNull(pixels, "pixels");
      if (count < 0 || rows < 1 || cols < 1 || (long) count * rows * cols != pixels.length) {
        throw new IllegalArgumentException(pixels.length + " pixels are not " + count + " images of " + rows + "x" + cols);
      }
    }
  }

  /**
   * Reads an IDX image file.
   *
   * @throws InvalidRequestException with code {@code INVALID_DATASET} when the file cannot be read,
   *     is not an image file, or holds fewer or more bytes than its header says
   */
  public static Images readImages(Path file) {
    try (DataInputStream in = open(file)) {
      checkMagic(file, in.readInt(), IMAGES_MAGIC, "an IDX image file");
      int count = in.readInt();
      int rows = in.readInt();
      int cols = in.readInt();
      if (count < 0 || rows < 1 || cols < 1 || (long) count * rows * cols > Integer.MAX_VALUE - 8) {
        throw invalid(file + ": the header declares " + count + " images of " + rows + "x" + cols + " pixels, which is not a loadable size", null);
      }
      return new Images(count, rows, cols, readBody(file, in, count * rows * cols, count + " images of " + rows + "x" + cols));
    } catch (EOFException e) {
      throw invalid(file + ": the file ends inside its header; it is truncated", e);
    } catch (IOException e) {
      throw unreadable(file, e);
    }
  }

  /**
   * Reads an IDX label file: one unsigned byte per example.
   *
   * @throws InvalidRequestException with code {@code INVALID_DATASET} when the file cannot be read,
   *     is not a label file, or holds fewer or more bytes than its header says
   */
  public static byte[] readLabels(Path file) {
    try (DataInputStream in = open(file)) {
      checkMagic(file, in.readInt(), LABELS_MAGIC, "an IDX label file");
      int count = in.readInt();
      if (count < 0 || count > Integer.MAX_VALUE - 8) throw invalid(file + ": the header declares " + count + " labels", null);
      return readBody(file, in, count, count + " labels");
    } catch (EOFException e) {
      throw invalid(file + ": the file ends inside its header; it is truncated", e);
    } catch (IOException e) {
      throw unreadable(file, e);
    }
  }

  /**
   * Writes {@code count} images of {@code rows x cols} from {@code pixels} (row-major, one image
   * after another) as an IDX image file, gzipped when the name ends in {@code .gz}.
   *
   * @throws IllegalArgumentException when {@code pixels} does not hold exactly that many pixels
   */
  public static void writeImages(Path file, int rows, int cols, byte[] pixels, int count) throws IOException {
    new Images(count, rows, cols, pixels);
    try (DataOutputStream out = create(file)) {
      out.writeInt(IMAGES_MAGIC);
      out.writeInt(count);
      out.writeInt(rows);
      out.writeInt(cols);
      out.write(pixels);
    }
  }

  /** Writes one unsigned byte per example as an IDX label file, gzipped when the name ends in {@code .gz}. */
  public static void writeLabels(Path file, byte[] labels) throws IOException {
    try (DataOutputStream out = create(file)) {
      out.writeInt(LABELS_MAGIC);
      out.writeInt(labels.length);
      out.write(labels);
    }
  }

  private static DataInputStream open(Path file) throws IOException {
    var in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    in.mark(2);
    boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
    in.reset();
    return new DataInputStream(gzip ? new GZIPInputStream(in, 1 << 16) : in);
  }

  private static DataOutputStream create(Path file) throws IOException {
    OutputStream out = Files.newOutputStream(file);
    if (file.getFileName().toString().endsWith(".gz")) out = new GZIPOutputStream(out, 1 << 16);
    return new DataOutputStream(new BufferedOutputStream(out, 1 << 16));
  }

  private static byte[] readBody(Path file, InputStream in, int size, String what) throws IOException {
    byte[] body = in.readNBytes(size); // grows as it reads: a lying header cannot allocate ahead of the data
    if (body.length < size) {
      throw invalid(file + ": the header declares " + what + " (" + size + " bytes) but the file holds only " + body.length + "; it is truncated", null);
    }
    if (in.read() >= 0) throw invalid(file + ": the file holds more bytes than the " + what + " its header declares", null);
    return body;
  }

  private static void checkMagic(Path file, int magic, int expected, String what) {
    if (magic != expected) {
      throw invalid(file + ": not " + what + " (magic number " + magic + ", expected " + expected + "); check the file name and that it is not corrupted", null);
    }
  }

  private static InvalidRequestException unreadable(Path file, IOException e) {
    return invalid(file + ": cannot read the file (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")", e);
  }

  private static InvalidRequestException invalid(String message, Throwable cause) {
    return new InvalidRequestException("INVALID_DATASET", message, Map.of(), cause);
  }
}
