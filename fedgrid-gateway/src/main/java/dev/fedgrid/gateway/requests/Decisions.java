package dev.fedgrid.gateway.requests;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.governance.RequestId;
import dev.fedgrid.api.governance.RequestState;
import java.util.Map;

/** What budget and release requests share: their free-text fields and the errors of deciding them. */
public final class Decisions {
  /** The longest reason or comment accepted. */
  public static final int MAX_TEXT = 2000;

  private Decisions() {}

  /**
   * A reason or comment, stripped; {@code null} when blank and not required.
   *
   * @throws InvalidRequestException with code {@code INVALID_FIELD} when required and blank, or
   *     longer than {@link #MAX_TEXT}
   */
  public static String text(String field, String value, boolean required) {
    String v = value == null ? null : value.strip();
    if (v == null || v.isEmpty()) {
      if (!required) return null;
      throw new InvalidRequestException("INVALID_FIELD", "'" + field + "' is required: say why, in a sentence or two", Map.of("field", field));
    }
    if (v.length() > MAX_TEXT) {
      throw new InvalidRequestException("INVALID_FIELD", "'" + field + "' is " + v.length() + " characters; at most " + MAX_TEXT, Map.of("field", field));
    }
    return v;
  }

  /** 404 {@code REQUEST_NOT_FOUND}: also for a request the caller may not see. */
  public static NotFoundException notFound(RequestId id) {
    return new NotFoundException(
        "REQUEST_NOT_FOUND", "no request has id " + id + " (or it is not yours); see `fedgrid request list`", Map.of("request", id.value()));
  }

  /** 409 {@code REQUEST_DECIDED}: decisions are final. */
  public static ConflictException decided(String what, RequestId id, RequestState state, String by) {
    return new ConflictException(
        "REQUEST_DECIDED",
        what + " " + id + " was already " + state.wireName() + " by " + by + "; decisions are final, file a new request instead",
        Map.of("request", id.value(), "state", state.wireName()));
  }

  /** 403 {@code SELF_APPROVAL}: nobody decides their own request, whatever their permissions. */
  public static PermissionDeniedException selfApproval(String user, String what, RequestId id) {
    return new PermissionDeniedException(
        "SELF_APPROVAL", "user " + user + " filed " + what + " " + id + " and cannot decide it; another officer must", Map.of("request", id.value()));
  }
}
