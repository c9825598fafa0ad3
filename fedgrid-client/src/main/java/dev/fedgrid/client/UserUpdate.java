package dev.fedgrid.client;

/**
 * A change to a user for {@link FedGridClient#updateUser}: each field left {@code null} stays as it
 * is. Changing one's own password takes the current one; an administrator (with {@code
 * can_manage_users}) changes anyone's without it. {@link #toString()} leaves passwords out.
 *
 * <p>Immutable and thread-safe.
 *
 * @param role the new role's name
 * @param disabled {@code true} to lock the user out, {@code false} to let them in again
 * @param password the new password
 * @param currentPassword the current password, when changing one's own
 */
public record UserUpdate(String role, Boolean disabled, String password, String currentPassword) {
  /** Gives the user another role. */
  public static UserUpdate role(String role) {
    return new UserUpdate(role, null, null, null);
  }

  /** Disables ({@code true}) or enables the user. */
  public static UserUpdate disabled(boolean disabled) {
    return new UserUpdate(null, disabled, null, null);
  }

  /** Sets a new password (as an administrator). */
  public static UserUpdate password(String password) {
    return new UserUpdate(null, null, password, null);
  }

  /** Changes one's own password. */
  public static UserUpdate changeOwnPassword(String currentPassword, String newPassword) {
    return new UserUpdate(null, null, newPassword, currentPassword);
  }

  @Override
  public String toString() {
    return "UserUpdate[role=" + role + ", disabled=" + disabled + ", password=" + (password == null ? "unchanged" : "(secret)") + "]";
  }
}
