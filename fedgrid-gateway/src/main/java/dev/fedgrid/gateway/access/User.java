package dev.fedgrid.gateway.access;

import dev.fedgrid.api.UserId;
import dev.fedgrid.api.governance.Permission;
import java.time.Instant;
import java.util.List;

/**
 * A user as the control API shows it ({@code GET /api/v1/me}, {@code /users}); never the password
 * hash.
 *
 * <p>Immutable and thread-safe.
 *
 * @param id the user's id ({@code user_…})
 * @param name the unique login name, also the actor in audit events
 * @param role the name of the user's role
 * @param permissions what the role allows, in {@link Permission} order
 * @param disabled whether the user is locked out (their tokens stop working, they cannot log in)
 * @param createdAt when the user was created
 */
public record User(UserId id, String name, String role, List<Permission> permissions, boolean disabled, Instant createdAt) {
  public User {
    permissions = List.copyOf(permissions);
  }
}
