package dev.fedgrid.gateway.control;

import java.util.Map;

/**
 * A failure of the HTTP layer itself that has no counterpart in the {@link
 * dev.fedgrid.api.FedGridException} family: an unknown route, a wrong method, a body too large.
 */
final class ApiProblem extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient ApiError error;

  ApiProblem(int status, String code, String message, Map<String, Object> details) {
    super(message, null, false, false);
    this.error = new ApiError(status, code, message, details);
  }

  ApiError error() {
    return error;
  }
}
