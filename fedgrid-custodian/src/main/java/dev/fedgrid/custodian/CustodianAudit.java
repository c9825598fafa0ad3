package dev.fedgrid.custodian;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fedgrid.api.InternalException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The custodian's own append-only, hash-chained audit log, {@code audit.log} in its data directory
 * (one JSON object per line, permissions 0600): every deposit, binding, release and refusal, with
 * who asked, for which artifact and job, and why a request was refused. Never a share.
 *
 * <p>Chain: {@code hash = hex(SHA-256(prev + "\n" + body))}, where {@code body} is the entry's JSON
 * without its {@code hash} field and {@code prev} the previous entry's hash (64 zeros for the
 * first). Changing, removing or reordering a line breaks every hash after it, which {@link #verify}
 * finds. The log is verified when the custodian starts and it refuses to start on a broken chain,
 * so it never extends a tampered log. Same idea as the gateway's audit ledger, separate code: a
 * custodian may be run by another organisation and shares nothing with the gateway.
 *
 * <p>Thread-safe: appends are synchronized; each is forced to disk before the answer is sent.
 */
public final class CustodianAudit {
  static final String FILE = "audit.log";
  private static final String GENESIS = "0".repeat(64);
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One audit entry.
   *
   * @param action {@code share.deposited}, {@code share.bound}, {@code share.released} or {@code share.refused}
   * @param actor the caller's certificate, {@code role:CN}
   * @param outcome {@code ok}, or the error code of a refusal
   * @param reason why it was refused; empty when it was not
   */
  public record Entry(long seq, String at, String actor, String action, String artifactId, String jobId, String outcome, String reason, String prev, String hash) {}

  /**
   * The result of {@link #verify}.
   *
   * @param firstBroken the sequence number of the first entry whose hash does not match, or -1
   */
  public record Verification(boolean intact, long entries, long firstBroken, String message) {}

  private final Path file;
  private final InstantSource clock;
  private long seq;
  private String last;

  /**
   * Opens (or creates) the log in {@code dataDir} and verifies it.
   *
   * @throws InternalException with code {@code AUDIT_CHAIN_BROKEN} when it does not verify
   */
  CustodianAudit(Path dataDir, InstantSource clock) {
    PrivateFiles.createDirectories(dataDir);
    this.file = dataDir.resolve(FILE);
    this.clock = clock;
    PrivateFiles.createFile(file);
    Verification v = verify(file);
    if (!v.intact()) {
      throw new InternalException("AUDIT_CHAIN_BROKEN", "the custodian's audit log " + file + " does not verify: " + v.message()
          + "; keep it for investigation and start with a fresh --data-dir", Map.of());
    }
    List<Entry> entries = read(file);
    seq = entries.size();
    last = entries.isEmpty() ? GENESIS : entries.getLast().hash();
  }

  synchronized Entry append(String actor, String action, String artifactId, String jobId, String outcome, String reason) {
    long n = seq + 1;
    var unhashed = new Entry(n, clock.instant().toString(), actor, action, artifactId, jobId, outcome, reason == null ? "" : reason, last, null);
    var entry = new Entry(n, unhashed.at(), actor, action, artifactId, jobId, unhashed.outcome(), unhashed.reason(), last, hash(last, unhashed));
    try {
      Files.write(file, (JSON.writeValueAsString(entry) + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND, StandardOpenOption.SYNC);
    } catch (IOException e) {
      throw PrivateFiles.io("cannot append to the audit log " + file, e);
    }
    seq = n;
    last = entry.hash();
    return entry;
  }

  /** Every entry, oldest first. */
  public static List<Entry> read(Path file) {
    try {
      var out = new java.util.ArrayList<Entry>();
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) out.add(JSON.readValue(line, Entry.class));
      }
      return out;
    } catch (IOException e) {
      throw PrivateFiles.io("cannot read the audit log " + file, e);
    }
  }

  /** Recomputes the chain of the log in {@code file} ({@code DATA_DIR/audit.log}). */
  public static Verification verify(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return new Verification(false, 0, 0, "it cannot be read (" + e.getMessage() + ")");
    }
    String prev = GENESIS;
    long n = 0;
    for (String line : lines) {
      if (line.isBlank()) continue;
      n++;
      Entry e;
      try {
        e = JSON.readValue(line, Entry.class);
      } catch (IOException ex) {
        return new Verification(false, n - 1, n, "line " + n + " is not an audit entry");
      }
      Entry unhashed = new Entry(e.seq(), e.at(), e.actor(), e.action(), e.artifactId(), e.jobId(), e.outcome(), e.reason(), e.prev(), null);
      if (e.seq() != n || !prev.equals(e.prev()) || !hash(prev, unhashed).equals(e.hash())) {
        return new Verification(false, n - 1, n, "entry " + n + " was changed, removed or reordered (its hash does not follow from the one before)");
      }
      prev = e.hash();
    }
    return new Verification(true, n, -1, n + " entries, chain intact");
  }

  private static String hash(String prev, Entry unhashed) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(prev.getBytes(StandardCharsets.US_ASCII));
      sha.update((byte) '\n');
      sha.update(JSON.writeValueAsBytes(unhashed));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException | JsonProcessingException e) {
      throw new InternalException("AUDIT_HASH_FAILED", "cannot hash an audit entry: " + e.getMessage(), Map.of(), e);
    }
  }
}
