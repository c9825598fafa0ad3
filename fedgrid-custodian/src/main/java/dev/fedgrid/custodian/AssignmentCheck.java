package dev.fedgrid.custodian;

import dev.fedgrid.api.JobId;

/**
 * Whether a node holds an approved assignment (an APPROVED market agreement) for a job: the one
 * question a custodian asks before it releases a share. {@link GatewayAssignments} asks the
 * gateway. Implementations are thread-safe.
 */
public interface AssignmentCheck {
  /**
   * The answer for the node named {@code nodeName} (its certificate's common name).
   *
   * @return the answer, with a reason when it is no
   * @throws dev.fedgrid.api.UnavailableException when the question cannot be answered now; the
   *     custodian then refuses (fails closed)
   */
  Answer check(JobId job, String nodeName);

  /** @param reason why not; empty when approved */
  record Answer(boolean approved, String reason) {
    public static Answer yes() {
      return new Answer(true, "");
    }

    public static Answer no(String reason) {
      return new Answer(false, reason);
    }
  }
}
