package dev.fedgrid.security;

import java.util.Locale;

/**
 * What a certificate of the project CA is for. The role is written into the certificate as its
 * organisational unit, and decides its extended key usage.
 */
public enum CertificateRole {
  /** A gateway: serves the fleet API (server authentication) and may dial out (client authentication). */
  GATEWAY(true),
  /** A node: dials the gateway's fleet API (client authentication); its common name is the node's name. */
  NODE(false),
  /** A person or tool: dials the gateway (client authentication). */
  USER(false),
  /**
   * A key custodian: serves share requests over HTTPS (server authentication) and dials the
   * gateway (client authentication); see {@code fedgrid custodian start}.
   */
  CUSTODIAN(true);

  private final boolean server;

  CertificateRole(boolean server) {
    this.server = server;
  }

  /** Whether certificates of this role may authenticate a TLS server. */
  public boolean serverAuth() {
    return server;
  }

  /** The lower-case label, as in {@code fedgrid pki issue node NAME} and the PKI directory's layout. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The role named {@code label} ({@code gateway}, {@code node}, {@code user} or {@code custodian}), or null. */
  static CertificateRole ofLabel(String label) {
    for (CertificateRole r : values()) {
      if (r.label().equals(label)) return r;
    }
    return null;
  }
}
