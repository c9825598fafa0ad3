package dev.fedgrid.gateway.access;

import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.UserId;
import dev.fedgrid.api.governance.Permission;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Who is calling the control API, as authenticated for this one call: the user, their role and the
 * permissions the role held at that moment. Handlers and services check permissions on it; they
 * never compare role names.
 *
 * @param id the user's id
 * @param name the user's login name, which is also the actor in audit events
 * @param role the name of the user's role
 * @param permissions what the role allows
 */
public record Principal(UserId id, String name, String role, Set<Permission> permissions) {
  public Principal {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
    permissions = permissions.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(permissions));
  }

  public boolean has(Permission permission) {
    return permissions.contains(permission);
  }

  /**
   * Checks a permission.
   *
   * @param action what the caller tried, for the message, such as {@code "set privacy budgets"}
   * @throws PermissionDeniedException with code {@code PERMISSION_DENIED} naming the permission
   */
  public void require(Permission permission, String action) {
    if (!has(permission)) throw denied(permission, action);
  }

  /** The error for a missing permission. */
  public PermissionDeniedException denied(Permission permission, String action) {
    return new PermissionDeniedException(
        "PERMISSION_DENIED",
        "user " + name + " (role " + role + ") may not " + action + ": that needs the permission " + permission.wireName()
            + "; ask an administrator for a role that has it",
        Map.of("permission", permission.wireName(), "role", role));
  }
}
