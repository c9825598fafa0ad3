package dev.fedgrid.gateway.fleet;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.security.CertificateRole;
import io.grpc.Grpc;
import io.grpc.ServerCall;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Map;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.security.auth.x500.X500Principal;

/**
 * Who a fleet call's client certificate says it is: the subject's common name and role ({@code
 * OU}) of the certificate presented over mutual TLS. The trust manager has already checked the
 * certificate during the handshake; this only binds the node's registration to it. Immutable.
 *
 * @param commonName the subject's {@code CN}, empty when it has none
 * @param role the subject's {@code OU} ({@code node}, {@code user}, {@code gateway}), empty when
 *     it has none
 * @param subject the whole subject, for messages
 * @param certificate the certificate itself, whose key checks the node's signed results; null
 *     when the client presented none
 */
record PeerCertificate(String commonName, String role, String subject, X509Certificate certificate) {
  private static final String NODE = CertificateRole.NODE.label();

  /** The certificate the client of {@code call} presented, or null when the call is plaintext. */
  static PeerCertificate of(ServerCall<?, ?> call) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) return null;
    try {
      Certificate[] chain = session.getPeerCertificates();
      if (chain.length > 0 && chain[0] instanceof X509Certificate leaf) return of(leaf);
    } catch (SSLPeerUnverifiedException e) {
      // cannot happen while the server requires client certificates; refused below as nameless
    }
    return new PeerCertificate("", "", "no certificate", null);
  }

  static PeerCertificate of(X509Certificate certificate) {
    String name = certificate.getSubjectX500Principal().getName(X500Principal.RFC2253);
    String cn = "";
    String ou = "";
    try {
      for (Rdn rdn : new LdapName(name).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) cn = String.valueOf(rdn.getValue());
        else if (rdn.getType().equalsIgnoreCase("OU")) ou = String.valueOf(rdn.getValue());
      }
    } catch (InvalidNameException e) {
      // an RFC 2253 name from the JDK always parses; a nameless peer is refused by the checks
    }
    return new PeerCertificate(cn, ou, name, certificate);
  }

  /**
   * Refuses a node registering under a name other than its certificate's.
   *
   * @throws PermissionDeniedException with code {@code CERTIFICATE_NAME_MISMATCH} unless this is
   *     a node certificate for {@code name}
   */
  void requireRegistersAs(String name) {
    if (isNodeNamed(name)) return;
    throw new PermissionDeniedException(
        "CERTIFICATE_NAME_MISMATCH",
        "node registers as '" + name + "' but its certificate is for " + describe() + "; issue a certificate for " + name
            + " with `fedgrid pki issue node " + name + "`",
        Map.of("name", name, "certificate", subject));
  }

  /**
   * Refuses a call made with the id (and token) of a node other than the certificate's.
   *
   * @param registeredName the name {@code node} registered with
   * @throws PermissionDeniedException with code {@code NODE_IDENTITY_MISMATCH} unless this is a
   *     node certificate for {@code registeredName}
   */
  void requireActsAs(NodeId node, String registeredName) {
    if (isNodeNamed(registeredName)) return;
    throw new PermissionDeniedException(
        "NODE_IDENTITY_MISMATCH",
        "the certificate for " + describe() + " called as node " + node + ", which is registered as '" + registeredName
            + "'; a node may only use its own id and token",
        Map.of("node", node.value(), "name", registeredName, "certificate", subject));
  }

  private boolean isNodeNamed(String name) {
    return role.equals(NODE) && commonName.equals(name);
  }

  /** {@code 'CN'}, plus its role when it is not a node's. */
  private String describe() {
    String name = "'" + commonName + "'";
    return role.equals(NODE) ? name : name + " (" + (role.isEmpty() ? "no role" : "a " + role) + " certificate, not a node's)";
  }
}
