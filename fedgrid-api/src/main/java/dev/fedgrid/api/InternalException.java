package dev.fedgrid.api;

import java.util.Map;

/** A bug or an unexpected failure inside FedGrid. */
public final class InternalException extends FedGridException {
  private static final long serialVersionUID = 1L;

  public InternalException(String code, String message) {
    super(code, message, Map.of(), null);
  }

  public InternalException(String code, String message, Map<String, Object> details) {
    super(code, message, details, null);
  }

  public InternalException(String code, String message, Map<String, Object> details, Throwable cause) {
    super(code, message, details, cause);
  }
}
