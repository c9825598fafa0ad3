package dev.fedgrid.api;

import java.util.Map;

/** The named job, node, dataset or task does not exist. */
public final class NotFoundException extends FedGridException {
  private static final long serialVersionUID = 1L;

  public NotFoundException(String code, String message) {
    super(code, message, Map.of(), null);
  }

  public NotFoundException(String code, String message, Map<String, Object> details) {
    super(code, message, details, null);
  }

  public NotFoundException(String code, String message, Map<String, Object> details, Throwable cause) {
    super(code, message, details, cause);
  }
}
