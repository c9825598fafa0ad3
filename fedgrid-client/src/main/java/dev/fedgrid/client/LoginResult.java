package dev.fedgrid.client;

import java.time.Instant;
import java.util.Objects;

/**
 * What a successful login returned: a session token, when it expires, and who logged in. {@link
 * #toString()} leaves the token out.
 *
 * <p>Immutable and thread-safe.
 *
 * @param token the session token ({@code fgt_…}), an API token named {@code login}
 * @param expiresAt when the session ends (12 hours after the login on a default gateway)
 * @param user who logged in
 */
public record LoginResult(String token, Instant expiresAt, User user) {
  public LoginResult {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(user, "user");
  }

  @Override
  public String toString() {
    return "LoginResult[token=(secret), expiresAt=" + expiresAt + ", user=" + user + "]";
  }
}
