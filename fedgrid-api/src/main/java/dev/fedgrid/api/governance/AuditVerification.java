package dev.fedgrid.api.governance;

/**
 * The outcome of checking the audit ledger's hash chain ({@code POST /api/v1/audit/verify}, {@code
 * fedgrid audit verify}).
 *
 * @param intact whether the whole chain checked out
 * @param verified how many events, from the first, were checked and found intact
 * @param headHash the newest event's hash when intact (keep it elsewhere to check later that the
 *     ledger was not rewritten); {@code null} when broken
 * @param brokenAt the sequence number where the chain breaks, 0 when intact or not tied to one event
 * @param problem {@code MISSING} (a gap in the sequence), {@code CHAIN_BROKEN} (an event does not
 *     follow the one before: removed, reordered or replaced events), {@code EDITED} (an event's
 *     content does not match its hash), {@code TRUNCATED} (the newest events were removed), {@code
 *     HEAD_MISMATCH} (the head table does not name the newest event: events added or the head
 *     changed outside the gateway) or {@code EXPECTED_HEAD_MISSING} (the ledger was rewritten
 *     since the expected head was taken); {@code null} when intact
 * @param message what was found, for people
 */
public record AuditVerification(boolean intact, long verified, String headHash, long brokenAt, String problem, String message) {
  /** An intact ledger of {@code verified} events whose newest hash is {@code headHash}. */
  public static AuditVerification intact(long verified, String headHash) {
    return new AuditVerification(true, verified, headHash, 0, null, "the audit ledger is intact: " + verified + " events, newest hash " + headHash);
  }

  /** A ledger broken at event {@code brokenAt}. */
  public static AuditVerification broken(long verified, long brokenAt, String problem, String message) {
    return new AuditVerification(false, verified, null, brokenAt, problem, message);
  }
}
