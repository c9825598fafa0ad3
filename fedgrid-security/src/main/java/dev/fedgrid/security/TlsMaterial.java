package dev.fedgrid.security;

import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.InvalidRequestException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * What one gateway, node or user process needs for mutual TLS, loaded from the directory {@code
 * fedgrid pki issue} wrote: {@code cert.pem} (its certificate, optionally followed by
 * intermediates), {@code key.pem} (its private key), {@code ca.pem} (the project CA) and,
 * optionally, {@code crl.pem} (the CA's revocation list).
 *
 * <pre>{@code
 * TlsMaterial tls = TlsMaterial.load(Path.of("/etc/fedgrid/tls"), InstantSource.system());
 * SslContext ssl = GrpcSslContexts.forServer(tls.privateKey(), tls.chain().toArray(X509Certificate[]::new))
 *     .trustManager(tls.trustManager()).clientAuth(ClientAuth.REQUIRE).build();
 * }</pre>
 *
 * <p>Loading checks everything a handshake would, so that a misconfiguration fails at start with
 * a message naming the file and the certificate rather than as an opaque handshake failure: that
 * the key belongs to the certificate, that the project CA issued it, that it is valid now, and
 * that the revocation list (signed by the CA) does not name it. It also refuses a {@code key.pem}
 * that its group or others may access (as OpenSSH does), naming the {@code chmod} to run. {@link
 * #toString()} never shows the key.
 *
 * <p>Immutable and thread-safe.
 */
public final class TlsMaterial {
  private final Path dir;
  private final List<X509Certificate> chain;
  private final PrivateKey key;
  private final X509Certificate ca;
  private final Path crlFile;
  private final InstantSource clock;

  private TlsMaterial(Path dir, List<X509Certificate> chain, PrivateKey key, X509Certificate ca, Path crlFile, InstantSource clock) {
    this.dir = dir;
    this.chain = chain;
    this.key = key;
    this.ca = ca;
    this.crlFile = crlFile;
    this.clock = clock;
  }

  /**
   * Loads and checks the files in {@code dir}.
   *
   * @param clock the time validity is checked at, now and in every handshake
   * @throws InvalidRequestException with code {@code INVALID_TLS_MATERIAL} naming the file and the
   *     certificate when a file is missing or malformed, the key does not match, or the
   *     certificate is from another CA, expired, not yet valid or revoked; with code {@code
   *     KEY_FILE_TOO_OPEN} when {@code key.pem} is accessible by anyone but its owner (POSIX file
   *     systems), before the key is read
   */
  public static TlsMaterial load(Path dir, InstantSource clock) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(clock, "clock");
    if (!Files.isDirectory(dir)) {
      throw new InvalidRequestException(
          "INVALID_TLS_MATERIAL", "--tls-dir " + dir + " is not a directory; pass the directory 'fedgrid pki issue' printed", Map.of("file", dir.toString()));
    }
    Path certFile = dir.resolve(ProjectCa.CERT_FILE);
    Path keyFile = dir.resolve(ProjectCa.KEY_FILE);
    Path caFile = dir.resolve(ProjectCa.CA_CERT);
    Path crlFile = dir.resolve(ProjectCa.CRL_FILE);
    PkiFiles.requireOwnerOnly(keyFile, "the private key of --tls-dir " + dir);
    List<X509Certificate> chain = PkiFiles.readCertificates(certFile, "the certificate");
    PrivateKey key = PkiFiles.readPrivateKey(keyFile);
    X509Certificate ca = PkiFiles.readCertificates(caFile, "the CA certificate").getFirst();
    X509Certificate leaf = chain.getFirst();
    if (!keyMatches(key, leaf)) {
      throw PkiFiles.invalidFile(keyFile, "this key does not belong to " + ProjectTrustManager.describe(leaf) + " in " + certFile + "; copy both from the same 'fedgrid pki issue' directory");
    }
    try {
      ProjectTrustManager.checkIssuedAndCurrent(leaf, ca, clock.instant());
    } catch (CertificateException e) {
      throw PkiFiles.invalidFile(certFile, e.getMessage() + " (CA in " + caFile + ")");
    }
    boolean hasCrl = Files.exists(crlFile);
    if (hasCrl) {
      X509CRL crl = ProjectTrustManager.loadCrl(crlFile, ca);
      try {
        ProjectTrustManager.checkNotRevoked(leaf, crl);
      } catch (CertificateException e) {
        throw PkiFiles.invalidFile(certFile, e.getMessage() + " (revocation list " + crlFile + ")");
      }
    }
    return new TlsMaterial(dir, chain, key, ca, hasCrl ? crlFile : null, clock);
  }

  /**
   * Checks that the certificate may authenticate a TLS server (a gateway certificate).
   *
   * @throws InvalidRequestException with code {@code INVALID_TLS_MATERIAL} when it may not
   */
  public TlsMaterial requireServerAuth() {
    List<String> usages;
    try {
      usages = certificate().getExtendedKeyUsage();
    } catch (CertificateParsingException e) {
      usages = List.of();
    }
    if (usages != null && !usages.contains("1.3.6.1.5.5.7.3.1")) {
      throw PkiFiles.invalidFile(dir.resolve(ProjectCa.CERT_FILE),
          ProjectTrustManager.describe(certificate()) + " cannot serve TLS; the gateway needs a gateway certificate ('fedgrid pki issue gateway NAME')");
    }
    return this;
  }

  /**
   * A trust manager for this material's peers: certificates of the same project CA, valid, not
   * revoked (the revocation list is re-read when its file changes), for the right side, and — when
   * checking a server — naming the host dialled. See the class comment of the checks' messages.
   */
  public X509ExtendedTrustManager trustManager() {
    return new ProjectTrustManager(ca, crlFile, clock);
  }

  /**
   * A TLS context that presents this material's certificate and key and trusts exactly {@link
   * #trustManager()}: for HTTPS servers that require client certificates and for clients that
   * present one (the key custodians and their callers).
   *
   * @throws InternalException with code {@code TLS_CONTEXT_FAILED} when the JDK cannot build it
   */
  public SSLContext sslContext() {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      char[] password = new char[0];
      store.setKeyEntry("self", key, password, chain.toArray(X509Certificate[]::new));
      KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, password);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys.getKeyManagers(), new TrustManager[] {trustManager()}, new SecureRandom());
      return context;
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new InternalException("TLS_CONTEXT_FAILED", "cannot build a TLS context for " + this + " (" + e.getClass().getSimpleName() + ")", Map.of(), e);
    }
  }

  /** The directory the material was loaded from. */
  public Path directory() {
    return dir;
  }

  /** The {@code CN} of this material's certificate (a node's or gateway's name), or empty when it has none. */
  public String commonName() {
    try {
      for (javax.naming.ldap.Rdn rdn : new javax.naming.ldap.LdapName(certificate().getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) return rdn.getValue().toString();
      }
    } catch (javax.naming.InvalidNameException e) {
      // a subject the JDK printed itself always parses; fall through to "none"
    }
    return "";
  }

  /** This process's certificate. */
  public X509Certificate certificate() {
    return chain.getFirst();
  }

  /** This process's certificate followed by any intermediates, as presented in handshakes. */
  public List<X509Certificate> chain() {
    return chain;
  }

  /** This process's private key. Never log it. */
  public PrivateKey privateKey() {
    return key;
  }

  /** The project CA's certificate, the only trust anchor. */
  public X509Certificate ca() {
    return ca;
  }

  /** The revocation list file, when the directory has one. */
  public Optional<Path> crlFile() {
    return Optional.ofNullable(crlFile);
  }

  /** Names the certificate and the directory; never the key. */
  @Override
  public String toString() {
    return "TlsMaterial[" + ProjectTrustManager.describe(certificate()) + " in " + dir + "]";
  }

  private static boolean keyMatches(PrivateKey key, X509Certificate cert) {
    String algorithm = ResultSigner.algorithm(key);
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }
}
