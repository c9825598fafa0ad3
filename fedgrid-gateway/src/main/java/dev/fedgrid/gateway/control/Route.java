package dev.fedgrid.gateway.control;

import io.helidon.http.Method;
import io.helidon.webserver.http.Handler;
import java.util.regex.Pattern;

/**
 * One route of the control API: a method, a path template such as {@code /api/v1/jobs/{id}}, who
 * may call it and its handler. The server registers exactly these routes, the 405 answer lists the
 * methods of the templates a path matches, and a test checks that the OpenAPI document describes the
 * same set.
 *
 * <p>Immutable and thread-safe.
 */
record Route(Method method, String path, Access access, Handler handler) {
  private static final Pattern PARAMETER = Pattern.compile("\\{[^/}]+}");

  /** Whether a concrete request path fits this route's template. */
  boolean matches(String requestPath) {
    String regex = PARAMETER.matcher(Pattern.quote(path)).replaceAll("\\\\E[^/]+\\\\Q");
    return requestPath.matches(regex);
  }
}
