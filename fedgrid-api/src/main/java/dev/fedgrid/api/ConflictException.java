package dev.fedgrid.api;

import java.util.Map;

/** The request is valid but conflicts with the current state (a replayed update, a finished job). */
public final class ConflictException extends FedGridException {
  private static final long serialVersionUID = 1L;

  public ConflictException(String code, String message) {
    super(code, message, Map.of(), null);
  }

  public ConflictException(String code, String message, Map<String, Object> details) {
    super(code, message, details, null);
  }

  public ConflictException(String code, String message, Map<String, Object> details, Throwable cause) {
    super(code, message, details, cause);
  }
}
