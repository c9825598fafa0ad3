package dev.fedgrid.custodian;

import dev.fedgrid.api.ArtifactId;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.PermissionDeniedException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The shares one custodian holds, in {@code shares.json} under its data directory (permissions
 * 0600, replaced atomically on every change, so a crash leaves the old or the new file). A share is
 * deposited once, by a user, and bound once, by the same user, to the job its artifact belongs to.
 *
 * <p>Thread-safe: every method is synchronized.
 */
final class ShareStore {
  static final String FILE = "shares.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One stored share.
   *
   * @param share the share value, base64
   * @param depositor the common name of the user certificate that deposited it
   * @param jobId the job it was bound to, or null while unbound
   */
  record Entry(ArtifactId artifactId, int index, int threshold, String share, String depositor, String jobId, String depositedAt) {
    KeyShare keyShare() {
      return new KeyShare(index, Base64.getDecoder().decode(share));
    }

    Optional<JobId> job() {
      return Optional.ofNullable(jobId).map(JobId::of);
    }
  }

  private final Path file;
  private final Map<ArtifactId, Entry> entries = new LinkedHashMap<>();

  ShareStore(Path dataDir) {
    PrivateFiles.createDirectories(dataDir);
    this.file = dataDir.resolve(FILE);
    if (Files.exists(file)) {
      try {
        List<Entry> loaded = JSON.readValue(file.toFile(), new TypeReference<List<Entry>>() {});
        for (Entry e : loaded) entries.put(e.artifactId(), e);
      } catch (IOException e) {
        throw new InternalException("CUSTODIAN_STORE_CORRUPT", file + " cannot be read as the custodian's share store (" + e.getMessage() + ")", Map.of(), e);
      }
    }
  }

  synchronized Optional<Entry> get(ArtifactId id) {
    return Optional.ofNullable(entries.get(id));
  }

  /** @throws ConflictException with code {@code SHARE_EXISTS} when a share of {@code id} is held already */
  synchronized Entry deposit(ArtifactId id, KeyShare share, int threshold, String depositor, Instant now) {
    if (entries.containsKey(id)) {
      throw new ConflictException("SHARE_EXISTS", "this custodian already holds a share of artifact " + id + "; seal the artifact again under a fresh id", Map.of("artifactId", id.value()));
    }
    var entry = new Entry(id, share.index(), threshold, Base64.getEncoder().encodeToString(share.value()), depositor, null, now.toString());
    entries.put(id, entry);
    save();
    return entry;
  }

  /**
   * Binds an artifact to its job; repeating the same binding is a no-op.
   *
   * @throws PermissionDeniedException with code {@code NOT_DEPOSITOR} for another user
   * @throws ConflictException with code {@code ARTIFACT_BOUND} when bound to another job
   */
  synchronized Entry bind(Entry entry, JobId job, String caller) {
    if (!entry.depositor().equals(caller)) {
      throw new PermissionDeniedException("NOT_DEPOSITOR", "only " + entry.depositor() + ", who deposited artifact " + entry.artifactId() + ", may bind it to a job",
          Map.of("artifactId", entry.artifactId().value()));
    }
    if (entry.jobId() != null && !entry.jobId().equals(job.value())) {
      throw new ConflictException("ARTIFACT_BOUND", "artifact " + entry.artifactId() + " is bound to job " + entry.jobId() + " already; a binding cannot change",
          Map.of("artifactId", entry.artifactId().value(), "jobId", entry.jobId()));
    }
    var bound = new Entry(entry.artifactId(), entry.index(), entry.threshold(), entry.share(), entry.depositor(), job.value(), entry.depositedAt());
    entries.put(entry.artifactId(), bound);
    save();
    return bound;
  }

  private void save() {
    try {
      PrivateFiles.replace(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(new ArrayList<>(entries.values())));
    } catch (IOException e) {
      throw PrivateFiles.io("cannot encode the share store", e);
    }
  }
}
