package dev.fedgrid.gateway.access;

/**
 * A created user, with the password when the gateway generated it (shown this once; null when the
 * caller chose it). {@link #toString()} leaves the password out.
 */
public record NewUser(User user, String password) {
  @Override
  public String toString() {
    return "NewUser[user=" + user + ", password=" + (password == null ? "(chosen by the caller)" : "(secret)") + "]";
  }
}
