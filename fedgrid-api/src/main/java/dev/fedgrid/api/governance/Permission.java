package dev.fedgrid.api.governance;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.fedgrid.api.InvalidRequestException;
import java.util.Arrays;
import java.util.Map;

/**
 * What a role lets its users do. Roles are sets of permissions; authorization on the gateway checks
 * permissions, never role names. On the wire each is its {@link #wireName()}, such as {@code
 * can_triage_requests}.
 */
public enum Permission {
  /** Submit jobs on datasets one may process, file release and budget requests. */
  MAKE_DATA_REQUESTS("can_make_data_requests"),
  /** See every release and budget request and approve or deny them. */
  TRIAGE_REQUESTS("can_triage_requests"),
  /** Set privacy budgets per user and dataset. */
  MANAGE_PRIVACY_BUDGET("can_manage_privacy_budget"),
  /** Create, disable and change the role of users. */
  MANAGE_USERS("can_manage_users"),
  /** Create, change and delete roles. */
  EDIT_ROLES("can_edit_roles"),
  /** Register datasets and grant others rights on them. */
  UPLOAD_DATA("can_upload_data"),
  /** Enrol and remove nodes, see the fleet. */
  MANAGE_INFRASTRUCTURE("can_manage_infrastructure"),
  /** Change the gateway's settings. */
  EDIT_SETTINGS("can_edit_settings");

  private final String wireName;

  Permission(String wireName) {
    this.wireName = wireName;
  }

  @JsonValue
  public String wireName() {
    return wireName;
  }

  /**
   * The permission with this wire name.
   *
   * @throws InvalidRequestException with code {@code UNKNOWN_PERMISSION} listing the known ones
   */
  @JsonCreator
  public static Permission of(String wireName) {
    for (Permission p : values()) {
      if (p.wireName.equals(wireName)) return p;
    }
    throw new InvalidRequestException(
        "UNKNOWN_PERMISSION",
        "unknown permission '" + wireName + "'; the permissions are " + String.join(", ", Arrays.stream(values()).map(Permission::wireName).toList()),
        Map.of("permission", String.valueOf(wireName)));
  }
}
