package dev.fedgrid.client;

import dev.fedgrid.api.UserId;
import dev.fedgrid.api.governance.Permission;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * A person who may use the gateway, as the control API shows them: never a password or its hash.
 *
 * <p>Immutable and thread-safe.
 *
 * @param id the user's id
 * @param name the login name
 * @param role the name of the user's role
 * @param permissions what the role allows
 * @param disabled whether the user is locked out (their tokens stop working)
 * @param createdAt when the user was created
 */
public record User(UserId id, String name, String role, Set<Permission> permissions, boolean disabled, Instant createdAt) {
  public User {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
    permissions = permissions == null || permissions.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(permissions));
  }

  public boolean has(Permission permission) {
    return permissions.contains(permission);
  }
}
