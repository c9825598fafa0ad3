package dev.fedgrid.security;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Files with the permissions they need from the moment they exist (no window in which a fresh
 * key is readable by others), replaced whole and atomically. On file systems without POSIX
 * attributes the permissions are left to the system. The PKI and the key custodian keep their
 * secrets through it. Stateless and thread-safe.
 */
public final class RestrictedFiles {
  /** Owner read and write only. */
  public static final String OWNER_ONLY = "rw-------";
  /** Owner read and write, everyone else read: certificates and revocation lists. */
  public static final String PUBLIC_READ = "rw-r--r--";

  private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  private RestrictedFiles() {}

  /** Creates {@code dir} and missing parents, each new one with permissions 0700. */
  public static void createDirectories(Path dir) throws IOException {
    if (POSIX) Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    else Files.createDirectories(dir);
  }

  /** Creates an empty file with {@code permissions} (such as {@link #OWNER_ONLY}) unless it exists. */
  public static void createFile(Path file, String permissions) throws IOException {
    if (!Files.exists(file)) Files.createFile(file, attributes(permissions));
  }

  /**
   * Replaces {@code file} with {@code bytes} through a temporary file in the same directory that is
   * created with {@code permissions}, then moved over it (atomically where the file system can).
   */
  public static void replace(Path file, byte[] bytes, String permissions) throws IOException {
    Path tmp = null;
    try {
      tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".tmp", attributes(permissions));
      Files.write(tmp, bytes);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
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

  private static FileAttribute<?>[] attributes(String permissions) {
    return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions))} : new FileAttribute<?>[0];
  }
}
