package dev.fedgrid.gateway.audit;

/**
 * The outcome of {@link AuditLog#verify}.
 *
 * @param intact whether the whole chain checked out
 * @param verified how many events, from the first, were checked and found intact
 * @param headHash the newest event's hash when intact (keep it elsewhere to check later that the
 *     ledger was not rewritten); {@code null} when broken
 * @param brokenAt the sequence number where the chain breaks, 0 when intact or not tied to one event
 * @param problem {@code MISSING}, {@code CHAIN_BROKEN}, {@code EDITED}, {@code TRUNCATED} or {@code
 *     EXPECTED_HEAD_MISSING}; {@code null} when intact
 * @param message what was found, for people
 */
public record AuditVerification(boolean intact, long verified, String headHash, long brokenAt, String problem, String message) {
  static AuditVerification intact(long verified, String headHash) {
    return new AuditVerification(true, verified, headHash, 0, null, "the audit ledger is intact: " + verified + " events, newest hash " + headHash);
  }

  static AuditVerification broken(long verified, long brokenAt, String problem, String message) {
    return new AuditVerification(false, verified, null, brokenAt, problem, message);
  }
}
