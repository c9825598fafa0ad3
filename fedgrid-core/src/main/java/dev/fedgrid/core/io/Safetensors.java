package dev.fedgrid.core.io;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Model parameters in the safetensors format (Hugging Face), so that a released model opens in
 * PyTorch, NumPy or any other safetensors reader.
 *
 * <pre>
 *   header size  uint64 little-endian: N, a multiple of 8 here
 *   header       N bytes of UTF-8 JSON, padded with spaces:
 *                {"__metadata__": {"key": "value", ...},
 *                 "layer0.weight": {"dtype": "F32", "shape": [16, 30], "data_offsets": [0, 1920]}, ...}
 *   data         the tensors' float32 values, little-endian, row-major, back to back
 * </pre>
 *
 * Offsets count from the start of the data section; the data section has no holes. {@link #write}
 * puts the tensors in layout order and {@code __metadata__} first (left out when empty); {@link
 * #read} accepts any order and rebuilds the layout in the order of the data. Only {@code F32} is
 * supported. Reading checks every length and offset against the bytes present, so a truncated or
 * forged file is an {@link InvalidRequestException} rather than an out-of-memory error or a wrong
 * model. {@code O(header + values)} both ways. Thread-safe (stateless).
 *
 * <p>Format: https://github.com/huggingface/safetensors (README, "Format").
 */
public final class Safetensors {
  /** The key of the free-form string map in the header. */
  public static final String METADATA_KEY = "__metadata__";

  /** Largest header accepted, as in the reference implementation. */
  static final long MAX_HEADER_BYTES = 100_000_000;

  private Safetensors() {}

  /**
   * Serializes parameters with string metadata.
   *
   * @param parameters the tensors, written in layout order
   * @param metadata free-form strings stored under {@value #METADATA_KEY}, written sorted by key
   * @return the file's bytes
   * @throws InvalidRequestException with code {@code INVALID_TENSOR} for a tensor named {@value
   *     #METADATA_KEY}, {@code INVALID_METADATA} for a string that is not valid Unicode, or {@code
   *     MESSAGE_TOO_LARGE} when the result does not fit one array
   */
  public static byte[] write(Parameters parameters, Map<String, String> metadata) {
    Objects.requireNonNull(parameters, "parameters");
    Objects.requireNonNull(metadata, "metadata");
    var json = new StringBuilder(64 + 96 * parameters.layout().tensors().size());
    json.append('{');
    if (!metadata.isEmpty()) {
      JsonText.string(json, METADATA_KEY).append(":{");
      boolean first = true;
      for (var e : new TreeMap<>(metadata).entrySet()) {
        if (!first) json.append(',');
        first = false;
        JsonText.string(json, e.getKey()).append(':');
        JsonText.string(json, Objects.requireNonNull(e.getValue(), "metadata value"));
      }
      json.append('}');
    }
    long offset = 0;
    for (TensorSpec t : parameters.layout().tensors()) {
      if (t.name().equals(METADATA_KEY)) {
        throw new InvalidRequestException("INVALID_TENSOR", "a tensor may not be named " + METADATA_KEY + " in a safetensors file; rename it");
      }
      if (json.length() > 1) json.append(',');
      JsonText.string(json, t.name()).append(":{\"dtype\":\"F32\",\"shape\":[");
      for (int i = 0; i < t.shape().size(); i++) {
        if (i > 0) json.append(',');
        json.append(t.shape().get(i));
      }
      long end = offset + 4L * t.size();
      json.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
      offset = end;
    }
    json.append('}');
    byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
    int padded = (header.length + 7) & ~7;
    long total = 8L + padded + offset;
    if (total > Integer.MAX_VALUE - 8) {
      throw new InvalidRequestException("MESSAGE_TOO_LARGE", "a safetensors file of " + total + " bytes does not fit one buffer");
    }
    ByteBuffer buf = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
    buf.putLong(padded).put(header);
    for (int i = header.length; i < padded; i++) buf.put((byte) ' ');
    buf.asFloatBuffer().put(parameters.values());
    return buf.array();
  }

  /**
   * Reads the tensors of a safetensors file, all of which must be {@code F32}.
   *
   * @throws InvalidRequestException with code {@code MALFORMED_SAFETENSORS} for anything that does
   *     not follow the format, or {@code UNSUPPORTED_DTYPE} for a tensor that is not float32
   */
  public static Parameters read(byte[] bytes) {
    return parse(bytes).parameters();
  }

  /**
   * Reads the {@value #METADATA_KEY} strings of a safetensors file (empty when it has none), after
   * checking the whole file as {@link #read} does.
   */
  public static Map<String, String> metadata(byte[] bytes) {
    return parse(bytes).metadata();
  }

  private record Parsed(Parameters parameters, Map<String, String> metadata) {}

  private record Entry(String name, List<Integer> shape, long begin, long end) {}

  private static Parsed parse(byte[] bytes) {
    if (bytes == null || bytes.length < 8) throw malformed("it is shorter than the 8-byte header size");
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    long headerSize = buf.getLong();
    if (headerSize < 2 || headerSize > MAX_HEADER_BYTES || headerSize > bytes.length - 8) {
      throw malformed("it declares a header of " + Long.toUnsignedString(headerSize) + " bytes but holds " + bytes.length + " bytes in all");
    }
    Object root = JsonText.parse(bytes, 8, (int) headerSize);
    if (!(root instanceof Map<?, ?> top)) throw malformed("the header is not a JSON object");
    Map<String, String> metadata = Map.of();
    var entries = new ArrayList<Entry>();
    for (var e : top.entrySet()) {
      String key = (String) e.getKey();
      if (key.equals(METADATA_KEY)) {
        metadata = readMetadata(e.getValue());
      } else {
        entries.add(readEntry(key, e.getValue()));
      }
    }
    if (entries.isEmpty()) throw malformed("it holds no tensor");
    entries.sort(Comparator.comparingLong(Entry::begin));
    long dataLength = bytes.length - 8 - headerSize;
    long expectedBegin = 0;
    var specs = new ArrayList<TensorSpec>(entries.size());
    for (Entry entry : entries) {
      if (entry.begin() != expectedBegin) {
        throw malformed("tensor " + entry.name() + " starts at " + entry.begin() + " where the previous tensor ends at " + expectedBegin);
      }
      if (entry.end() > dataLength) {
        throw malformed("tensor " + entry.name() + " ends at " + entry.end() + " but the data section has " + dataLength + " bytes");
      }
      TensorSpec spec = new TensorSpec(entry.name(), entry.shape());
      if (entry.end() - entry.begin() != 4L * spec.size()) {
        throw malformed("tensor " + entry.name() + spec.shape() + " needs " + 4L * spec.size() + " bytes but spans " + (entry.end() - entry.begin()));
      }
      specs.add(spec);
      expectedBegin = entry.end();
    }
    if (expectedBegin != dataLength) {
      throw malformed("the tensors cover " + expectedBegin + " bytes of a " + dataLength + "-byte data section");
    }
    ParameterLayout layout = new ParameterLayout(specs);
    float[] values = new float[layout.size()];
    buf.position((int) (8 + headerSize));
    buf.asFloatBuffer().get(values);
    return new Parsed(new Parameters(layout, values), metadata);
  }

  private static Map<String, String> readMetadata(Object value) {
    if (!(value instanceof Map<?, ?> map)) throw malformed(METADATA_KEY + " is not an object");
    var out = new TreeMap<String, String>();
    for (var e : map.entrySet()) {
      if (!(e.getValue() instanceof String s)) throw malformed(METADATA_KEY + " value of " + e.getKey() + " is not a string");
      out.put((String) e.getKey(), s);
    }
    return Collections.unmodifiableMap(out);
  }

  private static Entry readEntry(String name, Object value) {
    if (!(value instanceof Map<?, ?> info)) throw malformed("tensor " + name + " is not described by an object");
    if (!(info.get("dtype") instanceof String dtype)) throw malformed("tensor " + name + " has no dtype");
    if (!dtype.equals("F32")) {
      throw new InvalidRequestException(
          "UNSUPPORTED_DTYPE", "tensor " + name + " has dtype " + dtype + " but FedGrid reads only F32; convert the tensors to float32 first");
    }
    if (!(info.get("shape") instanceof List<?> shapeList)) throw malformed("tensor " + name + " has no shape");
    var shape = new ArrayList<Integer>(shapeList.size());
    for (Object d : shapeList) {
      if (!(d instanceof Long l) || l < 1 || l > Integer.MAX_VALUE) {
        throw malformed("tensor " + name + " has the dimension " + d + "; FedGrid tensors have dimensions from 1 to 2^31-1");
      }
      shape.add(l.intValue());
    }
    if (!(info.get("data_offsets") instanceof List<?> offsets)
        || offsets.size() != 2
        || !(offsets.get(0) instanceof Long begin)
        || !(offsets.get(1) instanceof Long end)
        || begin < 0
        || end < begin) {
      throw malformed("tensor " + name + " has no valid data_offsets [begin, end]");
    }
    return new Entry(name, shape, begin, end);
  }

  private static InvalidRequestException malformed(String why) {
    return new InvalidRequestException("MALFORMED_SAFETENSORS", "the safetensors file is malformed: " + why);
  }
}
