package dev.fedgrid.core.secagg;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.UnavailableException;
import java.util.LinkedHashMap;
import java.util.Map;

/** The errors of a SecAgg+ round, each naming the stage and, where there is one, the node. */
final class Failures {
  private Failures() {}

  /** A message that breaks the protocol: wrong lengths, unknown nodes, values outside the modulus. */
  static InvalidRequestException badMessage(SecAggStage stage, int node, String what) {
    return new InvalidRequestException(
        "SECAGG_BAD_MESSAGE",
        "SecAgg+ stage " + stage + ", node " + node + ": " + what + "; the round is abandoned and no sum is released",
        details(stage, node));
  }

  /** A request a client refuses to answer, because answering could reveal an input. */
  static InvalidRequestException refused(SecAggStage stage, int node, String what) {
    return new InvalidRequestException(
        "SECAGG_UNMASK_REFUSED",
        "SecAgg+ stage " + stage + ", node " + node + " refuses: " + what + "; it will answer no further request this round",
        details(stage, node));
  }

  /** Too few clients (or shareholders of one client) left to go on safely. */
  static UnavailableException tooFew(SecAggStage stage, Integer node, String what, int count, int threshold) {
    Map<String, Object> details = details(stage, node);
    details.put("count", count);
    details.put("threshold", threshold);
    return new UnavailableException(
        "SECAGG_TOO_FEW_SURVIVORS",
        "SecAgg+ stage " + stage + (node == null ? "" : ", node " + node) + ": " + what + " (" + count + ", threshold " + threshold
            + "); the round is abandoned and no sum is released: retry the round with more clients, longer stage time-outs or a lower threshold",
        details);
  }

  /** A message or call that belongs to another stage. */
  static ConflictException outOfOrder(String code, SecAggStage stage, int node, String what) {
    return new ConflictException(code, "SecAgg+ stage " + stage + (node < 0 ? "" : ", node " + node) + ": " + what, details(stage, node < 0 ? null : node));
  }

  private static Map<String, Object> details(SecAggStage stage, Integer node) {
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("stage", stage.name());
    if (node != null) details.put("node", node);
    return details;
  }
}
