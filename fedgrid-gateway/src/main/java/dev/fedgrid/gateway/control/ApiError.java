package dev.fedgrid.gateway.control;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.UnavailableException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The body of every failed control API call, {@code {"code": ..., "message": ..., "details":
 * {...}}}, with the HTTP status it is sent with.
 *
 * <p>Immutable and thread-safe.
 *
 * @param status the HTTP status
 * @param code stable UPPER_SNAKE_CASE code, listed in {@code docs/errors.md}
 * @param message what happened and what to do
 * @param details structured context; never a secret or a data row
 */
record ApiError(int status, String code, String message, Map<String, Object> details) {
  ApiError {
    details = details == null ? Map.of() : Map.copyOf(details);
  }

  /** The status a FedGrid failure maps onto: one per subclass of the sealed family. */
  static int statusOf(FedGridException e) {
    return switch (e) {
      case InvalidRequestException x -> 400;
      case UnauthenticatedException x -> 401;
      case PermissionDeniedException x -> 403;
      case NotFoundException x -> 404;
      case ConflictException x -> 409;
      case UnavailableException x -> 503;
      case InternalException x -> 500;
    };
  }

  static ApiError of(FedGridException e) {
    return new ApiError(statusOf(e), e.code(), e.getMessage(), e.details());
  }

  /** The JSON body: the status travels in the HTTP status line, not in the body. */
  Map<String, Object> body() {
    var body = new LinkedHashMap<String, Object>();
    body.put("code", code);
    body.put("message", message == null ? "" : message);
    body.put("details", details);
    return body;
  }
}
