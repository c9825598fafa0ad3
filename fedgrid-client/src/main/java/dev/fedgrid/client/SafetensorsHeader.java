package dev.fedgrid.client;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.fedgrid.api.InvalidRequestException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the header of a safetensors file: an unsigned 64-bit little-endian length {@code n}, then
 * {@code n} bytes of JSON naming each tensor's dtype, shape and byte range, plus an optional {@code
 * __metadata__} map of strings. Checks that the header fits the file.
 *
 * <p>Thread-safe (stateless).
 */
final class SafetensorsHeader {
  /** Headers are small; anything larger is not a model file. */
  private static final long MAX_HEADER = 100L << 20;

  private SafetensorsHeader() {}

  /** The {@code __metadata__} of the file, empty when it has none. */
  static Map<String, String> metadata(Path file) throws IOException {
    long size = Files.size(file);
    try (InputStream in = Files.newInputStream(file)) {
      byte[] prefix = in.readNBytes(8);
      if (prefix.length < 8) throw invalid(file, "it is shorter than 8 bytes");
      long n = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN).getLong();
      if (n < 2 || n > MAX_HEADER || n > size - 8) throw invalid(file, "its header length " + n + " does not fit its " + size + " bytes");
      byte[] header = in.readNBytes((int) n);
      Map<String, Object> json;
      try {
        json = ClientJson.MAPPER.readValue(header, new TypeReference<Map<String, Object>>() {});
      } catch (IOException e) {
        throw invalid(file, "its header is not JSON");
      }
      var metadata = new LinkedHashMap<String, String>();
      if (json.get("__metadata__") instanceof Map<?, ?> m) {
        m.forEach((k, v) -> metadata.put(String.valueOf(k), String.valueOf(v)));
      }
      return metadata;
    }
  }

  private static InvalidRequestException invalid(Path file, String why) {
    return new InvalidRequestException("INVALID_MODEL_FILE", "the downloaded " + file + " is not a safetensors file: " + why);
  }
}
