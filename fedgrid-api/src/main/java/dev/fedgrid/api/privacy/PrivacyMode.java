package dev.fedgrid.api.privacy;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Who adds the noise of a job's differential privacy, and so whom the guarantee holds against.
 *
 * <ul>
 *   <li>{@code central}: the gateway clips and noises the sum of the nodes' updates (DP-FedAvg). The
 *       gateway sees each node's raw update; the guarantee covers what leaves the gateway, the
 *       models. Works with FedAvg only.
 *   <li>{@code local}: each node clips its own update and adds Gaussian noise before sending it, so
 *       the gateway never sees an un-noised update; the guarantee holds against the gateway too,
 *       and the gateway may aggregate with any strategy. It costs much more noise for the same
 *       epsilon.
 * </ul>
 */
public enum PrivacyMode {
  @JsonProperty("central")
  CENTRAL,
  @JsonProperty("local")
  LOCAL;

  /** The lower-case wire name. */
  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
