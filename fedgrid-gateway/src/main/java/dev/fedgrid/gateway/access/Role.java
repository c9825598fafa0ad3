package dev.fedgrid.gateway.access;

import dev.fedgrid.api.governance.Permission;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A role: a named set of permissions. The seeded roles ({@link #builtin()}) can be neither changed
 * nor deleted; custom roles can.
 *
 * <p>Immutable and thread-safe.
 *
 * @param name the unique name, such as {@code data-scientist}
 * @param description what the role is for
 * @param permissions what its users may do, in {@link Permission} order
 * @param builtin whether the gateway seeded it
 */
public record Role(String name, String description, List<Permission> permissions, boolean builtin) {
  public Role {
    permissions = List.copyOf(permissions.isEmpty() ? EnumSet.noneOf(Permission.class) : EnumSet.copyOf(permissions));
  }

  /** The permissions as a set. */
  Set<Permission> permissionSet() {
    return permissions.isEmpty() ? Set.of() : EnumSet.copyOf(permissions);
  }
}
