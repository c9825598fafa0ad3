package dev.fedgrid.custodian;

import dev.fedgrid.api.InternalException;
import dev.fedgrid.security.RestrictedFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The custodian's files, readable only by its user ({@link RestrictedFiles}: directories 0700,
 * files 0600 from the moment they exist, replaced atomically), with I/O failures reported as
 * {@code CUSTODIAN_IO_ERROR}. Stateless and thread-safe.
 */
final class PrivateFiles {
  private PrivateFiles() {}

  static void createDirectories(Path dir) {
    try {
      RestrictedFiles.createDirectories(dir);
    } catch (IOException e) {
      throw io("cannot create the data directory " + dir, e);
    }
  }

  /** An empty file with permissions 0600, unless it exists. */
  static void createFile(Path file) {
    try {
      RestrictedFiles.createFile(file, RestrictedFiles.OWNER_ONLY);
    } catch (IOException e) {
      throw io("cannot create " + file, e);
    }
  }

  /** Replaces {@code file} with {@code bytes}, through a 0600 temporary file in the same directory. */
  static void replace(Path file, byte[] bytes) {
    try {
      RestrictedFiles.replace(file, bytes, RestrictedFiles.OWNER_ONLY);
    } catch (IOException e) {
      throw io("cannot write " + file, e);
    }
  }

  static InternalException io(String message, IOException e) {
    return new InternalException("CUSTODIAN_IO_ERROR", message + " (" + e.getMessage() + ")", Map.of(), e);
  }
}
