package dev.fedgrid.gateway.access;

/**
 * The owner's credential made on a gateway's first start: the user name, a generated password and
 * an API token named {@code bootstrap}. Shown once; {@link #toString()} leaves the secrets out.
 */
public record OwnerCredential(String user, String password, String token) {
  @Override
  public String toString() {
    return "OwnerCredential[user=" + user + ", password=(secret), token=(secret)]";
  }
}
