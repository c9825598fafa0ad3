package dev.fedgrid.gateway.access;

import java.time.Instant;

/**
 * The answer to a successful login: a session token (an API token named {@code login}), when it
 * expires, and who logged in. {@link #toString()} leaves the token out.
 */
public record LoginResult(String token, Instant expiresAt, User user) {
  @Override
  public String toString() {
    return "LoginResult[token=(secret), expiresAt=" + expiresAt + ", user=" + user + "]";
  }
}
