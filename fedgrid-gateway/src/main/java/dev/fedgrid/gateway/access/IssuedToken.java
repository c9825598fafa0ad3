package dev.fedgrid.gateway.access;

/**
 * A freshly created API token with its secret, which is shown this once and stored only as a
 * SHA-256 hash. {@link #toString()} leaves the secret out.
 *
 * @param token the secret, {@code fgt_} followed by the unpadded base64url of 32 random bytes
 * @param info the token as listed
 */
public record IssuedToken(String token, TokenInfo info) {
  @Override
  public String toString() {
    return "IssuedToken[token=(secret), info=" + info + "]";
  }
}
