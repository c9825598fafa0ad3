package dev.fedgrid.security;

import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertPathValidatorException.BasicReason;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.security.auth.x500.X500Principal;

/**
 * Trusts exactly the certificates the project CA issued that are within their validity, not on
 * the CA's revocation list, meant for the side they are presented on (extended key usage), and —
 * for a server — naming the host that was dialled. Each refusal is a {@link CertificateException}
 * whose message names the certificate and says what to do; its type or cause carries the reason
 * (expired, not yet valid, revoked, unknown CA) so that TLS stacks send the matching alert.
 *
 * <p>The revocation list is read again whenever its file's modification time changes, so a
 * revocation takes effect on the next handshake without a restart. A list that cannot be read or
 * is not signed by the CA refuses every certificate (fail closed).
 *
 * <p>Thread-safe.
 */
final class ProjectTrustManager extends X509ExtendedTrustManager {
  private static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

  private final X509Certificate ca;
  private final Path crlFile;
  private final InstantSource clock;
  private volatile CrlSnapshot crl;

  private record CrlSnapshot(FileTime modified, X509CRL crl) {}

  /** @param crlFile the revocation list to check against; null when there is none */
  ProjectTrustManager(X509Certificate ca, Path crlFile, InstantSource clock) {
    this.ca = ca;
    this.crlFile = crlFile;
    this.clock = clock;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain, false, null);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    check(chain, false, null);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    check(chain, false, null);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain, true, null);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    String host = socket instanceof SSLSocket s && s.getHandshakeSession() != null ? s.getHandshakeSession().getPeerHost() : null;
    check(chain, true, host);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    check(chain, true, engine == null ? null : engine.getPeerHost());
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[] {ca};
  }

  private void check(X509Certificate[] chain, boolean server, String host) throws CertificateException {
    if (chain == null || chain.length == 0) throw new CertificateException("the peer presented no certificate");
    X509Certificate leaf = chain[0];
    checkIssuedAndCurrent(leaf, ca, clock.instant());
    checkNotRevoked(leaf, currentCrl());
    checkUsage(leaf, server);
    if (server && host != null && !host.isEmpty()) checkHost(leaf, host);
    pkix(leaf);
  }

  /** Signed by {@code ca} and within its validity at {@code now}; the messages name {@code leaf}. */
  static void checkIssuedAndCurrent(X509Certificate leaf, X509Certificate ca, Instant now) throws CertificateException {
    String who = describe(leaf);
    if (!leaf.getIssuerX500Principal().equals(ca.getSubjectX500Principal())) {
      throw untrusted(who + " was issued by '" + leaf.getIssuerX500Principal().getName() + "', not by this project's CA '"
          + ca.getSubjectX500Principal().getName() + "'; issue it from the project CA with 'fedgrid pki issue'");
    }
    try {
      leaf.verify(ca.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw untrusted(who + " names the project CA '" + ca.getSubjectX500Principal().getName()
          + "' as issuer but its signature does not verify with the CA's key: it comes from another CA of the same name; issue it from the project CA");
    }
    if (now.isAfter(leaf.getNotAfter().toInstant())) {
      throw new CertificateExpiredException(who + " expired at " + leaf.getNotAfter().toInstant() + "; issue a new one with 'fedgrid pki issue'");
    }
    if (now.isBefore(leaf.getNotBefore().toInstant())) {
      throw new CertificateNotYetValidException(
          who + " is not valid before " + leaf.getNotBefore().toInstant() + " (the time here is " + now + "); check both machines' clocks");
    }
  }

  /** Not named by {@code crl}; no-op when {@code crl} is null. */
  static void checkNotRevoked(X509Certificate leaf, X509CRL crl) throws CertificateException {
    if (crl == null) return;
    X509CRLEntry entry = crl.getRevokedCertificate(leaf.getSerialNumber());
    if (entry != null) {
      String message = describe(leaf) + " was revoked at " + entry.getRevocationDate().toInstant() + "; issue a new one with 'fedgrid pki issue'";
      throw new CertificateException(message, new CertPathValidatorException(message, null, null, -1, BasicReason.REVOKED));
    }
  }

  private static void checkUsage(X509Certificate leaf, boolean server) throws CertificateException {
    List<String> usages;
    try {
      usages = leaf.getExtendedKeyUsage();
    } catch (CertificateParsingException e) {
      throw new CertificateException(describe(leaf) + " has a malformed extended key usage", e);
    }
    String needed = server ? SERVER_AUTH : CLIENT_AUTH;
    if (usages != null && !usages.contains(needed)) {
      throw new CertificateException(describe(leaf) + (server
          ? " may not authenticate a server; the gateway needs a gateway certificate ('fedgrid pki issue gateway NAME')"
          : " may not authenticate a client; issue a node or user certificate ('fedgrid pki issue node NAME')"));
    }
  }

  /** The dialled host is one of the certificate's DNS or IP subject alternative names. */
  static void checkHost(X509Certificate leaf, String host) throws CertificateException {
    List<String> dns = new ArrayList<>();
    List<InetAddress> ips = new ArrayList<>();
    try {
      var sans = leaf.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          int type = (Integer) san.get(0);
          if (type == 2) dns.add(((String) san.get(1)).toLowerCase(Locale.ROOT));
          if (type == 7) ips.add(InetAddress.ofLiteral((String) san.get(1)));
        }
      }
    } catch (CertificateParsingException | IllegalArgumentException e) {
      throw new CertificateException(describe(leaf) + " has malformed subject alternative names", e);
    }
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    boolean literal = h.contains(":") || h.matches("[0-9.]+");
    if (literal) {
      InetAddress address;
      try {
        address = InetAddress.ofLiteral(h);
      } catch (IllegalArgumentException e) {
        address = null;
      }
      if (address != null && ips.contains(address)) return;
    } else {
      String name = h.toLowerCase(Locale.ROOT);
      for (String d : dns) {
        if (d.equals(name)) return;
        if (d.startsWith("*.") && name.indexOf('.') > 0 && name.substring(name.indexOf('.')).equals(d.substring(1))) return;
      }
    }
    var names = new ArrayList<String>();
    dns.forEach(d -> names.add("DNS:" + d));
    ips.forEach(i -> names.add("IP:" + i.getHostAddress()));
    throw new CertificateException(
        describe(leaf) + " is for " + (names.isEmpty() ? "no host name" : String.join(", ", names)) + ", not '" + host
            + "'; dial one of those, or issue the gateway a certificate with " + (literal ? "--ip " : "--dns ") + h);
  }

  private void pkix(X509Certificate leaf) throws CertificateException {
    try {
      var params = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
      params.setRevocationEnabled(false); // checked above against the project's own list
      params.setDate(Date.from(clock.instant()));
      CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf)), params);
    } catch (CertPathValidatorException e) {
      String message = describe(leaf) + " is not a valid certificate of the project CA: " + e.getMessage();
      throw new CertificateException(message, e);
    } catch (GeneralSecurityException e) {
      throw new CertificateException("cannot validate " + describe(leaf) + ": " + e.getMessage(), e);
    }
  }

  /** The revocation list, read again when its file changed; null when there is none. */
  private X509CRL currentCrl() throws CertificateException {
    if (crlFile == null) return null;
    try {
      FileTime modified = Files.getLastModifiedTime(crlFile);
      CrlSnapshot snapshot = crl;
      if (snapshot != null && snapshot.modified().equals(modified)) return snapshot.crl();
      X509CRL loaded = loadCrl(crlFile, ca);
      crl = new CrlSnapshot(modified, loaded);
      return loaded;
    } catch (IOException | RuntimeException e) {
      throw new CertificateException("the revocation list " + crlFile + " cannot be read (" + e.getMessage() + "); refusing every certificate until it is fixed", e);
    }
  }

  /** Reads a CRL and checks that {@code ca} signed it. */
  static X509CRL loadCrl(Path file, X509Certificate ca) {
    X509CRL crl = PkiFiles.readCrl(file);
    try {
      crl.verify(ca.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw PkiFiles.invalidFile(file, "the revocation list is not signed by the CA '" + ca.getSubjectX500Principal().getName() + "'");
    }
    return crl;
  }

  /** {@code certificate 'CN=..,OU=..' (serial 3fa2…)}: how every message names a certificate. */
  static String describe(X509Certificate c) {
    return "certificate '" + c.getSubjectX500Principal().getName(X500Principal.RFC2253) + "' (serial " + serialHex(c.getSerialNumber()) + ")";
  }

  static String serialHex(BigInteger serial) {
    return serial.toString(16);
  }

  private static CertificateException untrusted(String message) {
    return new CertificateException(message, new CertPathValidatorException(message, null, null, -1, PKIXReason.NO_TRUST_ANCHOR));
  }
}
