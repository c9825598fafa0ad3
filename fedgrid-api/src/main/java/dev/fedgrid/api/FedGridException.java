package dev.fedgrid.api;

import java.util.Map;

/**
 * The root of FedGrid's failures. Each carries a stable machine-readable {@link #code()} in
 * UPPER_SNAKE_CASE, a message that says what happened and what to do, and optional details.
 *
 * <p>The subclasses are a closed set that maps one-to-one onto transport statuses: invalid input
 * (HTTP 400, gRPC INVALID_ARGUMENT), not found (404, NOT_FOUND), conflict with the current state
 * (409, FAILED_PRECONDITION or ALREADY_EXISTS), unauthenticated (401, UNAUTHENTICATED),
 * permission denied (403, PERMISSION_DENIED), unavailable (503, UNAVAILABLE) and internal (500,
 * INTERNAL).
 */
public abstract sealed class FedGridException extends RuntimeException
    permits InvalidRequestException,
        NotFoundException,
        ConflictException,
        UnauthenticatedException,
        PermissionDeniedException,
        UnavailableException,
        InternalException {
  private static final long serialVersionUID = 1L;

  private final String code;
  private final transient Map<String, Object> details;

  protected FedGridException(String code, String message, Map<String, Object> details, Throwable cause) {
    super(message, cause);
    this.code = requireCode(code);
    this.details = details == null ? Map.of() : Map.copyOf(details);
  }

  /** The stable error code, for example {@code JOB_NOT_FOUND}. */
  public String code() {
    return code;
  }

  /** Structured context for the error; never contains secrets or data rows. */
  public Map<String, Object> details() {
    return details;
  }

  private static String requireCode(String code) {
    if (code == null || !code.matches("[A-Z][A-Z0-9_]*")) {
      throw new IllegalArgumentException("error codes are UPPER_SNAKE_CASE: " + code);
    }
    return code;
  }
}
