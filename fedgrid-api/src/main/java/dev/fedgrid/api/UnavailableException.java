package dev.fedgrid.api;

import java.util.Map;

/** A resource is temporarily missing (too few nodes, a closed connection); retrying may help. */
public final class UnavailableException extends FedGridException {
  private static final long serialVersionUID = 1L;

  public UnavailableException(String code, String message) {
    super(code, message, Map.of(), null);
  }

  public UnavailableException(String code, String message, Map<String, Object> details) {
    super(code, message, details, null);
  }

  public UnavailableException(String code, String message, Map<String, Object> details, Throwable cause) {
    super(code, message, details, cause);
  }
}
