package dev.fedgrid.client;

import java.util.Objects;
import java.util.Optional;

/**
 * A user just created, with the password the gateway generated for them when none was given: it is
 * shown this once; pass it on to the person safely. {@link #toString()} leaves the password out.
 *
 * <p>Immutable and thread-safe.
 *
 * @param user the new user
 * @param password the generated password, or {@code null} when the creator chose one
 */
public record NewUser(User user, String password) {
  public NewUser {
    Objects.requireNonNull(user, "user");
  }

  /** The generated password, if the gateway made one. */
  public Optional<String> generatedPassword() {
    return Optional.ofNullable(password);
  }

  @Override
  public String toString() {
    return "NewUser[user=" + user + ", password=" + (password == null ? "(chosen by the creator)" : "(secret)") + "]";
  }
}
