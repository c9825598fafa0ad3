package dev.fedgrid.gateway.fleet;

import dev.fedgrid.api.NodeId;
import java.util.function.Supplier;

/**
 * Admits nodes that register for the first time. A node the gateway already knows returns with its
 * id and token; a new one must be enrolled, which {@link FleetBackend#register} asks of this port
 * before it stores the node. The gateway's implementation checks and consumes a single-use join
 * token ({@link dev.fedgrid.gateway.access.JoinTokens}).
 *
 * <p>Implementations are thread-safe.
 */
public interface NodeEnrolment {
  /**
   * Enrols a new node: checks what {@code hello} presents, then runs {@code store} (which stores
   * the node) in the same transaction that records the enrolment, so that either both happen or
   * neither. Two nodes presenting the same single-use credential at once: exactly one enrols.
   *
   * @param hello what the node sent, its join token included
   * @param node the id the new node will have
   * @param store stores the node; runs at most once, inside the enrolment's transaction
   * @return what {@code store} returned
   * @throws dev.fedgrid.api.UnauthenticatedException with code {@code JOIN_TOKEN_REQUIRED}, {@code
   *     JOIN_TOKEN_INVALID}, {@code JOIN_TOKEN_EXPIRED}, {@code JOIN_TOKEN_USED} or {@code
   *     JOIN_TOKEN_REVOKED}; nothing is stored
   * @throws dev.fedgrid.api.PermissionDeniedException with code {@code JOIN_TOKEN_NAME_MISMATCH}
   *     when the token is for a node of another name; nothing is stored
   */
  <T> T enrol(NodeHello hello, NodeId node, Supplier<T> store);
}
