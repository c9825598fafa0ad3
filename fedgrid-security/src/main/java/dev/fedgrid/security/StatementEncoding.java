package dev.fedgrid.security;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The length-prefixed encoding {@link ResultStatement}s are hashed in: strings and byte strings as
 * a 4-byte big-endian length and their (UTF-8) bytes, integers big-endian of their width. Not
 * thread-safe; one per digest.
 */
final class StatementEncoding {
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
  private final DataOutputStream out = new DataOutputStream(buffer);

  private StatementEncoding() {}

  /** SHA-256 of what {@code fields} writes. */
  static byte[] digest(Fields fields) {
    var encoding = new StatementEncoding();
    try {
      fields.write(encoding);
      encoding.out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory cannot fail", e);
    }
    return ResultStatement.sha256(encoding.buffer.toByteArray());
  }

  void text(String s) throws IOException {
    bytes(s.getBytes(StandardCharsets.UTF_8));
  }

  void bytes(byte[] b) throws IOException {
    out.writeInt(b.length);
    out.write(b);
  }

  void int32(int v) throws IOException {
    out.writeInt(v);
  }

  void int64(long v) throws IOException {
    out.writeLong(v);
  }

  /** Writes a statement's fields in order. */
  @FunctionalInterface
  interface Fields {
    void write(StatementEncoding out) throws IOException;
  }
}
