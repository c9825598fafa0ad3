package dev.fedgrid.api;

import java.util.Map;

/** The caller is known but may not do this. */
public final class PermissionDeniedException extends FedGridException {
  private static final long serialVersionUID = 1L;

  public PermissionDeniedException(String code, String message) {
    super(code, message, Map.of(), null);
  }

  public PermissionDeniedException(String code, String message, Map<String, Object> details) {
    super(code, message, details, null);
  }
}
