package dev.fedgrid.cli;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fedgrid.api.InvalidRequestException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The session tokens {@code fedgrid login} stored: a JSON object from gateway URL to token in
 * {@code ~/.fedgrid/credentials.json} (or the file {@code FEDGRID_CREDENTIALS} names), readable
 * by its owner only (0600). Every write replaces the file atomically.
 *
 * <p>Not thread-safe: one command at a time reads and writes it.
 */
final class Credentials {
  /** The variable (environment, or system property first, as for picocli's defaults) naming another file. */
  static final String VARIABLE = "FEDGRID_CREDENTIALS";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path file;

  Credentials(Path file) {
    this.file = file;
  }

  /** The file of this user: {@code FEDGRID_CREDENTIALS}, else {@code ~/.fedgrid/credentials.json}. */
  static Credentials ofUser() {
    String named = variable(VARIABLE);
    return new Credentials(named != null ? Path.of(named) : Path.of(System.getProperty("user.home"), ".fedgrid", "credentials.json"));
  }

  /** A system property, else an environment variable, as picocli resolves {@code ${NAME}}; blank counts as unset. */
  static String variable(String name) {
    String value = System.getProperty(name);
    if (value == null) value = System.getenv(name);
    return value == null || value.isBlank() ? null : value.strip();
  }

  Path file() {
    return file;
  }

  /** The token stored for {@code gateway}, if any. */
  Optional<String> token(String gateway) {
    return Optional.ofNullable(read().get(key(gateway)));
  }

  /** Stores {@code token} for {@code gateway}, replacing an earlier one. */
  void store(String gateway, String token) {
    Map<String, String> all = read();
    all.put(key(gateway), token);
    write(all);
  }

  /** Removes the token of {@code gateway}; whether there was one. */
  boolean remove(String gateway) {
    Map<String, String> all = read();
    if (all.remove(key(gateway)) == null) return false;
    write(all);
    return true;
  }

  /** A gateway URL as the file keys it: without trailing slashes. */
  static String key(String gateway) {
    String s = gateway.strip();
    while (s.endsWith("/")) s = s.substring(0, s.length() - 1);
    return s;
  }

  private Map<String, String> read() {
    if (!Files.exists(file)) return new TreeMap<>();
    try {
      return new TreeMap<>(JSON.readValue(file.toFile(), new TypeReference<Map<String, String>>() {}));
    } catch (IOException e) {
      throw new InvalidRequestException(
          "CREDENTIALS_UNREADABLE",
          "cannot read the stored logins in " + file + " (" + e.getMessage() + "); delete the file and run `fedgrid login` again",
          Map.of("file", file.toString()));
    }
  }

  private void write(Map<String, String> all) {
    try {
      Path dir = file.toAbsolutePath().getParent();
      if (!Files.isDirectory(dir)) {
        try {
          Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
          Files.createDirectories(dir);
        }
      }
      Path temporary;
      try {
        temporary = Files.createTempFile(dir, ".credentials", ".tmp", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException e) {
        temporary = Files.createTempFile(dir, ".credentials", ".tmp");
      }
      try {
        Files.write(temporary, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(all));
        try {
          Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        Files.deleteIfExists(temporary);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the stored logins to " + file + ": " + e.getMessage(), e);
    }
  }
}
