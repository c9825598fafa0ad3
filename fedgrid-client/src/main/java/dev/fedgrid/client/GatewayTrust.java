package dev.fedgrid.client;

import dev.fedgrid.api.InvalidRequestException;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.security.auth.x500.X500Principal;

/**
 * The TLS context a client uses to trust a gateway whose certificate the project CA issued: the
 * JDK's PKIX checks with the CA as the only trust anchor, and host name verification as HTTPS does
 * it (the certificate must name the host of the URL). A refusal's message names the gateway's
 * certificate and says what to check. Stateless.
 */
final class GatewayTrust {
  private GatewayTrust() {}

  /**
   * A context trusting the CA certificates in the PEM file {@code caFile} (such as {@code ca.pem}
   * of a {@code fedgrid pki} directory).
   *
   * @throws InvalidRequestException with code {@code INVALID_CA_FILE} when the file is missing or
   *     holds no certificate
   */
  static SSLContext trusting(Path caFile) {
    Collection<? extends Certificate> certificates;
    try (InputStream in = Files.newInputStream(caFile)) {
      certificates = java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in);
    } catch (NoSuchFileException e) {
      throw invalid(caFile, "there is no CA file " + caFile + "; pass the project CA's certificate (ca.pem from 'fedgrid pki init', or from the gateway's --tls-dir)");
    } catch (IOException | CertificateException e) {
      throw invalid(caFile, "cannot read the CA file " + caFile + " (" + e.getMessage() + "); it must hold PEM certificates (-----BEGIN CERTIFICATE-----)");
    }
    if (certificates.isEmpty()) throw invalid(caFile, "the CA file " + caFile + " holds no certificate; pass the project CA's ca.pem");
    try {
      KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
      anchors.load(null, null);
      int i = 0;
      for (Certificate c : certificates) anchors.setCertificateEntry("ca-" + i++, c);
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(anchors);
      X509ExtendedTrustManager pkix = null;
      for (TrustManager m : factory.getTrustManagers()) {
        if (m instanceof X509ExtendedTrustManager x) pkix = x;
      }
      if (pkix == null) throw new GeneralSecurityException("the JDK offers no X.509 trust manager");
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {new Naming(pkix, caFile)}, null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw invalid(caFile, "cannot trust the CA in " + caFile + ": " + e.getMessage());
    }
  }

  private static InvalidRequestException invalid(Path file, String message) {
    return new InvalidRequestException("INVALID_CA_FILE", message, Map.of("file", file.toString()));
  }

  /** Checks the gateway's certificate with the JDK's PKIX trust manager; its refusals name the certificate. */
  private static final class Naming extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager delegate;
    private final Path caFile;

    Naming(X509ExtendedTrustManager delegate, Path caFile) {
      this.delegate = delegate;
      this.caFile = caFile;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      try {
        delegate.checkServerTrusted(chain, authType, engine);
      } catch (CertificateException e) {
        throw refused(chain, engine == null ? null : engine.getPeerHost(), e);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      try {
        delegate.checkServerTrusted(chain, authType, socket);
      } catch (CertificateException e) {
        throw refused(chain, null, e);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      try {
        delegate.checkServerTrusted(chain, authType);
      } catch (CertificateException e) {
        throw refused(chain, null, e);
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      delegate.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      delegate.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }

    private CertificateException refused(X509Certificate[] chain, String host, CertificateException e) {
      String who = chain == null || chain.length == 0
          ? "the gateway presented no certificate"
          : "the gateway's certificate '" + chain[0].getSubjectX500Principal().getName(X500Principal.RFC2253) + "' (serial "
              + chain[0].getSerialNumber().toString(16) + ", issued by '" + chain[0].getIssuerX500Principal().getName(X500Principal.RFC2253) + "')";
      String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      String hint = reason.contains("subject alternative") || reason.contains("No name matching")
          ? "dial a host the certificate names, or issue the gateway a certificate for " + (host == null ? "that host" : "'" + host + "'")
              + " ('fedgrid pki issue gateway NAME --dns HOST' or '--ip ADDRESS')"
          : "check that " + caFile + " is the CA of the gateway's project (--ca, FEDGRID_CA)";
      return new CertificateException(who + " is not trusted: " + reason + "; " + hint, e);
    }
  }
}
