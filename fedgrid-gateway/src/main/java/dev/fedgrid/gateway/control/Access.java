package dev.fedgrid.gateway.control;

import dev.fedgrid.api.governance.Permission;
import java.util.EnumSet;
import java.util.Set;

/**
 * Who may call a route, checked by {@link ControlServer} before the handler runs: anyone ({@link
 * #PUBLIC}: health, the OpenAPI document, login), any authenticated user ({@link #AUTHENTICATED};
 * the service then checks ownership and grants), or a user whose role has one of some permissions.
 *
 * @param authenticated whether the caller must present a valid token
 * @param anyOf the caller's role must have at least one of these; empty when any authenticated
 *     user may call
 */
record Access(boolean authenticated, Set<Permission> anyOf) {
  static final Access PUBLIC = new Access(false, Set.of());
  static final Access AUTHENTICATED = new Access(true, Set.of());

  Access {
    anyOf = anyOf.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(anyOf));
    if (!authenticated && !anyOf.isEmpty()) throw new IllegalArgumentException("a public route cannot require permissions");
  }

  static Access permission(Permission permission) {
    return new Access(true, Set.of(permission));
  }

  /** Callers whose role has at least one of {@code permissions}. */
  static Access anyOf(Permission first, Permission... more) {
    return new Access(true, EnumSet.of(first, more));
  }
}
