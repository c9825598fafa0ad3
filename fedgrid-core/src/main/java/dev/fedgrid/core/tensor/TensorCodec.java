package dev.fedgrid.core.tensor;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The compact binary form of named float tensors, used on the wire and in checkpoints.
 *
 * <pre>
 *   magic    4 bytes   "FGT1"
 *   count    int32     number of tensors
 *   count x  { nameLength uint16, name UTF-8, rank uint8, rank x int32 dimension }
 *   data     float32 x total elements, tensors in order, each row-major
 * </pre>
 *
 * All integers and floats are little-endian. Decoding checks every length against the bytes
 * present and refuses trailing bytes, so a truncated, padded or forged buffer is an {@link
 * InvalidRequestException} and never an out-of-memory error or a silently wrong model.
 *
 * <p>Encoding and decoding are bulk copies: O(n) in the number of values. Thread-safe (stateless).
 */
public final class TensorCodec {
  private static final byte[] MAGIC = {'F', 'G', 'T', '1'};
  private static final int MAX_RANK = 8;

  private TensorCodec() {}

  /** Encodes parameters. */
  public static byte[] encode(Parameters parameters) {
    return encode(parameters.layout().tensors(), parameters.values());
  }

  /** Decodes parameters of any layout. */
  public static Parameters decode(byte[] bytes) {
    Decoded d = decodeRaw(bytes, false);
    return new Parameters(new ParameterLayout(d.specs), d.values);
  }

  /**
   * Decodes parameters that must have {@code expected} layout.
   *
   * @throws InvalidRequestException with code {@code SHAPE_MISMATCH} naming the first difference
   */
  public static Parameters decode(byte[] bytes, ParameterLayout expected) {
    Parameters p = decode(bytes);
    checkLayout(expected, p.layout());
    return p;
  }

  /** Throws {@code SHAPE_MISMATCH} naming the first tensor where {@code actual} differs. */
  public static void checkLayout(ParameterLayout expected, ParameterLayout actual) {
    if (expected.equals(actual)) return;
    List<TensorSpec> e = expected.tensors();
    List<TensorSpec> a = actual.tensors();
    for (int i = 0; i < Math.min(e.size(), a.size()); i++) {
      if (!e.get(i).equals(a.get(i))) {
        throw new InvalidRequestException(
            "SHAPE_MISMATCH", "tensor " + i + " is " + a.get(i).name() + a.get(i).shape() + " but the model needs " + e.get(i).name() + e.get(i).shape());
      }
    }
    throw new InvalidRequestException("SHAPE_MISMATCH", "got " + a.size() + " tensors but the model has " + e.size());
  }

  /** Encodes named flat arrays (such as a strategy's state), sorted by name; may be empty. */
  public static byte[] encodeNamed(Map<String, float[]> arrays) {
    var sorted = new TreeMap<>(arrays);
    var specs = new ArrayList<TensorSpec>();
    int total = 0;
    for (var e : sorted.entrySet()) {
      specs.add(TensorSpec.of(e.getKey(), e.getValue().length));
      total = Math.addExact(total, e.getValue().length);
    }
    float[] values = new float[total];
    int offset = 0;
    for (float[] a : sorted.values()) {
      System.arraycopy(a, 0, values, offset, a.length);
      offset += a.length;
    }
    return encode(specs, values);
  }

  /** Decodes what {@link #encodeNamed} wrote. */
  public static Map<String, float[]> decodeNamed(byte[] bytes) {
    Decoded d = decodeRaw(bytes, true);
    var out = new LinkedHashMap<String, float[]>();
    int offset = 0;
    for (TensorSpec s : d.specs) {
      float[] a = new float[s.size()];
      System.arraycopy(d.values, offset, a, 0, a.length);
      offset += a.length;
      out.put(s.name(), a);
    }
    return out;
  }

  private static byte[] encode(List<TensorSpec> specs, float[] values) {
    var names = new ArrayList<byte[]>(specs.size());
    long header = MAGIC.length + 4;
    for (TensorSpec s : specs) {
      byte[] name = s.name().getBytes(StandardCharsets.UTF_8);
      names.add(name);
      header += 2 + name.length + 1 + 4L * s.shape().size();
    }
    long total = header + 4L * values.length;
    if (total > Integer.MAX_VALUE - 8) {
      throw new InvalidRequestException("MESSAGE_TOO_LARGE", "tensors of " + total + " bytes do not fit one buffer");
    }
    ByteBuffer buf = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
    buf.put(MAGIC).putInt(specs.size());
    for (int i = 0; i < specs.size(); i++) {
      TensorSpec s = specs.get(i);
      buf.putShort((short) names.get(i).length).put(names.get(i)).put((byte) s.shape().size());
      for (int d : s.shape()) buf.putInt(d);
    }
    buf.asFloatBuffer().put(values);
    return buf.array();
  }

  private record Decoded(List<TensorSpec> specs, float[] values) {}

  private static Decoded decodeRaw(byte[] bytes, boolean allowEmpty) {
    if (bytes == null || bytes.length < MAGIC.length + 4) {
      throw malformed("the buffer is shorter than a header");
    }
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    for (byte b : MAGIC) {
      if (buf.get() != b) throw malformed("the buffer does not start with FGT1");
    }
    int count = buf.getInt();
    if (count < 0 || (count == 0 && !allowEmpty) || count > bytes.length / 4) {
      throw malformed("it declares " + count + " tensors");
    }
    var specs = new ArrayList<TensorSpec>(count);
    long elements = 0;
    for (int i = 0; i < count; i++) {
      if (buf.remaining() < 2) throw malformed("tensor " + i + " header is cut short");
      int nameLength = Short.toUnsignedInt(buf.getShort());
      if (nameLength == 0 || nameLength > TensorSpec.MAX_NAME_LENGTH * 4 || buf.remaining() < nameLength + 1) {
        throw malformed("tensor " + i + " has a bad name length " + nameLength);
      }
      byte[] name = new byte[nameLength];
      buf.get(name);
      int rank = Byte.toUnsignedInt(buf.get());
      if (rank > MAX_RANK || buf.remaining() < 4 * rank) throw malformed("tensor " + i + " has rank " + rank);
      int[] shape = new int[rank];
      for (int r = 0; r < rank; r++) shape[r] = buf.getInt();
      TensorSpec spec = TensorSpec.of(new String(name, StandardCharsets.UTF_8), shape);
      specs.add(spec);
      elements += spec.size();
    }
    if (elements * 4 != buf.remaining()) {
      throw malformed("the header declares " + elements + " values but " + buf.remaining() + " bytes of data follow");
    }
    float[] values = new float[(int) elements];
    buf.asFloatBuffer().get(values);
    return new Decoded(specs, values);
  }

  private static InvalidRequestException malformed(String why) {
    return new InvalidRequestException("MALFORMED_TENSORS", "the tensor payload is malformed: " + why);
  }
}
