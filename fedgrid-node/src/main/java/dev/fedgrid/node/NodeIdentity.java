package dev.fedgrid.node;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.NodeId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who this node is to a gateway: the id and secret token it got when it registered, kept in
 * {@code <dataDir>/node-identity.json} so a restarted node keeps its id (and its datasets theirs).
 * The file is readable by its owner only (POSIX 0600) and written atomically. The token never
 * appears in {@link #toString()}.
 *
 * @param nodeId the node's id
 * @param token its secret
 * @param gateway the {@code host:port} it was issued by
 */
record NodeIdentity(NodeId nodeId, String token, String gateway) {
  static final String FILE_NAME = "node-identity.json";
  private static final Logger LOG = LoggerFactory.getLogger(NodeIdentity.class);
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");

  NodeIdentity {
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(gateway, "gateway");
  }

  @Override
  public String toString() {
    return "NodeIdentity[nodeId=" + nodeId + ", gateway=" + gateway + "]";
  }

  static Path file(Path dataDir) {
    return dataDir.resolve(FILE_NAME);
  }

  /**
   * Reads the identity saved in {@code dataDir}; empty when there is none.
   *
   * @throws InternalException when the file exists but cannot be read; the message says how to
   *     start afresh
   */
  static Optional<NodeIdentity> load(Path dataDir) {
    Path file = file(dataDir);
    String json;
    try {
      json = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw unreadable(file, e);
    }
    try {
      NodeIdentity identity = NodeJson.read(json, NodeIdentity.class, FILE_NAME);
      tighten(file);
      return Optional.of(identity);
    } catch (FedGridException e) {
      throw unreadable(file, e);
    }
  }

  /** Writes this identity to {@code dataDir} atomically, readable by its owner only. */
  void save(Path dataDir) {
    Path file = file(dataDir);
    try {
      boolean posix = fileStore(existingAncestor(dataDir)).supportsFileAttributeView("posix");
      if (!Files.isDirectory(dataDir)) {
        if (posix) {
          Files.createDirectories(dataDir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
        } else {
          Files.createDirectories(dataDir);
        }
      }
      Path tmp = dataDir.resolve(FILE_NAME + ".tmp");
      Files.deleteIfExists(tmp);
      FileAttribute<?>[] attrs = posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)} : new FileAttribute<?>[0];
      Files.createFile(tmp, attrs);
      Files.writeString(tmp, NodeJson.write(this), StandardCharsets.UTF_8, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new InternalException(
          "NODE_IDENTITY_UNWRITABLE", "cannot write the node identity to " + file + " (" + e + "); check --data-dir and its permissions", Map.of(), e);
    }
  }

  private static Path existingAncestor(Path dataDir) {
    Path p = dataDir.toAbsolutePath();
    while (p != null && !Files.exists(p)) p = p.getParent();
    return p == null ? dataDir.toAbsolutePath().getRoot() : p;
  }

  private static FileStore fileStore(Path p) throws IOException {
    return Files.getFileStore(p);
  }

  /** Narrows a saved identity that others can read back to 0600, with a warning. */
  private static void tighten(Path file) {
    try {
      if (!fileStore(file).supportsFileAttributeView("posix")) return;
      Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
      if (!perms.equals(OWNER_ONLY)) {
        LOG.warn("{} was readable by others ({}); restricting it to its owner", file, PosixFilePermissions.toString(perms));
        Files.setPosixFilePermissions(file, OWNER_ONLY);
      }
    } catch (IOException e) {
      LOG.warn("could not check the permissions of {}: {}", file, e.toString());
    }
  }

  private static InternalException unreadable(Path file, Exception e) {
    return new InternalException(
        "NODE_IDENTITY_UNREADABLE",
        "cannot read the node identity in " + file + " (" + e.getMessage() + "); fix or delete the file (the node then registers as a new node)",
        Map.of(), e);
  }
}
