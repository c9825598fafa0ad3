package dev.fedgrid.custodian;

import dev.fedgrid.api.InternalException;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

/**
 * Files only the custodian's user may read: directories 0700 and files 0600 from the moment they
 * exist, whole files replaced atomically. Stateless and thread-safe.
 */
final class PrivateFiles {
  private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  private PrivateFiles() {}

  static void createDirectories(Path dir) {
    try {
      if (POSIX) Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      else Files.createDirectories(dir);
    } catch (IOException e) {
      throw io("cannot create the data directory " + dir, e);
    }
  }

  /** An empty file with permissions 0600, unless it exists. */
  static void createFile(Path file) {
    try {
      if (!Files.exists(file)) Files.createFile(file, attributes());
    } catch (IOException e) {
      throw io("cannot create " + file, e);
    }
  }

  /** Replaces {@code file} with {@code bytes}, through a 0600 temporary file in the same directory. */
  static void replace(Path file, byte[] bytes) {
    Path tmp = null;
    try {
      tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".tmp", attributes());
      Files.write(tmp, bytes);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw io("cannot write " + file, e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // best effort: the move normally consumed it
        }
      }
    }
  }

  private static FileAttribute<?>[] attributes() {
    return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))} : new FileAttribute<?>[0];
  }

  static InternalException io(String message, IOException e) {
    return new InternalException("CUSTODIAN_IO_ERROR", message + " (" + e.getMessage() + ")", Map.of(), e);
  }
}
