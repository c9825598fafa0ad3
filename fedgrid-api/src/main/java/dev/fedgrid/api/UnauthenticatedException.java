package dev.fedgrid.api;

import java.util.Map;

/** The caller did not prove who it is (missing, wrong or expired credentials). */
public final class UnauthenticatedException extends FedGridException {
  private static final long serialVersionUID = 1L;

  public UnauthenticatedException(String code, String message) {
    super(code, message, Map.of(), null);
  }

  public UnauthenticatedException(String code, String message, Map<String, Object> details) {
    super(code, message, details, null);
  }
}
