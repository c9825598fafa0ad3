package dev.fedgrid.client;

import java.util.Objects;

/**
 * A freshly created API token: the secret, which the gateway shows this once and stores only as a
 * hash, and its description. {@link #toString()} leaves the secret out, so logging the value does
 * not leak it.
 *
 * <p>Immutable and thread-safe.
 *
 * @param token the secret ({@code fgt_…}) to pass as {@link FedGridClient.Builder#token(String)}
 * @param info the token as {@link FedGridClient#tokens()} lists it
 */
public record IssuedToken(String token, ApiToken info) {
  public IssuedToken {
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(info, "info");
  }

  @Override
  public String toString() {
    return "IssuedToken[token=(secret), info=" + info + "]";
  }
}
