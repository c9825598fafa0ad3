package dev.fedgrid.gateway.control;

import dev.fedgrid.api.governance.Permission;
import java.util.Optional;

/**
 * Who may call a route, checked by {@link ControlServer} before the handler runs: anyone ({@link
 * #PUBLIC}: health, the OpenAPI document, login), any authenticated user ({@link #AUTHENTICATED};
 * the service then checks ownership and grants), or a user whose role has one permission.
 *
 * @param authenticated whether the caller must present a valid token
 * @param permission the permission the caller's role must have, if any
 */
record Access(boolean authenticated, Optional<Permission> permission) {
  static final Access PUBLIC = new Access(false, Optional.empty());
  static final Access AUTHENTICATED = new Access(true, Optional.empty());

  static Access permission(Permission permission) {
    return new Access(true, Optional.of(permission));
  }
}
