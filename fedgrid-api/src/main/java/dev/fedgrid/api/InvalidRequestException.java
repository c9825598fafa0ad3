package dev.fedgrid.api;

import java.util.Map;

/** The request or input is malformed or out of range; nothing was changed. */
public final class InvalidRequestException extends FedGridException {
  private static final long serialVersionUID = 1L;

  public InvalidRequestException(String code, String message) {
    super(code, message, Map.of(), null);
  }

  public InvalidRequestException(String code, String message, Map<String, Object> details) {
    super(code, message, details, null);
  }

  public InvalidRequestException(String code, String message, Map<String, Object> details, Throwable cause) {
    super(code, message, details, cause);
  }
}
