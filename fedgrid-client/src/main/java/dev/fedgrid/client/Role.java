package dev.fedgrid.client;

import dev.fedgrid.api.governance.Permission;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * A named set of permissions given to users. The seeded roles ({@code owner}, {@code
 * administrator}, {@code compliance-officer}, {@code data-scientist}, {@code data-owner}) are
 * built in and cannot be deleted; others are created by users with {@code can_edit_roles}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the role's name
 * @param description what the role is for
 * @param permissions what it allows
 * @param builtin whether it is one of the seeded roles
 */
public record Role(String name, String description, Set<Permission> permissions, boolean builtin) {
  public Role {
    Objects.requireNonNull(name, "name");
    description = description == null ? "" : description;
    permissions = permissions == null || permissions.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(permissions));
  }
}
