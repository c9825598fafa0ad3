package dev.fedgrid.gateway.fleet;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.security.TlsMaterial;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.OpenSsl;
import io.grpc.netty.shaded.io.netty.handler.ssl.OpenSslCertificateException;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.internal.tcnative.CertificateVerifier;
import java.net.Socket;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.PKIXReason;
import java.security.cert.X509Certificate;
import java.util.Map;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet server's TLS: the gateway's certificate and key, client certificates required and
 * checked by the project's trust manager (project CA only, valid, not revoked, client usage), each
 * refusal logged with its reason. Stateless.
 */
final class FleetTls {
  private static final Logger LOG = LoggerFactory.getLogger(FleetTls.class);

  private FleetTls() {}

  /** @param clients the trust manager for client certificates, from {@code tls.trustManager()} */
  static SslContext serverContext(TlsMaterial tls, X509ExtendedTrustManager clients) {
    tls.requireServerAuth();
    try {
      return GrpcSslContexts.configure(
              SslContextBuilder.forServer(tls.privateKey(), tls.chain().toArray(X509Certificate[]::new))
                  .trustManager(new LoggingTrustManager(clients))
                  .clientAuth(ClientAuth.REQUIRE))
          .build();
    } catch (SSLException | RuntimeException e) {
      throw new InvalidRequestException(
          "INVALID_TLS_MATERIAL", "cannot serve TLS with " + tls + ": " + e.getMessage(), Map.of("file", tls.directory().toString()), e);
    }
  }

  /** Logs why a node's certificate was refused; the node itself only sees a TLS alert. */
  private static final class LoggingTrustManager extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager delegate;

    LoggingTrustManager(X509ExtendedTrustManager delegate) {
      this.delegate = delegate;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      try {
        delegate.checkClientTrusted(chain, authType, engine);
      } catch (CertificateException e) {
        throw refused(e);
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      try {
        delegate.checkClientTrusted(chain, authType, socket);
      } catch (CertificateException e) {
        throw refused(e);
      }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      try {
        delegate.checkClientTrusted(chain, authType);
      } catch (CertificateException e) {
        throw refused(e);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      delegate.checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
      delegate.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      delegate.checkServerTrusted(chain, authType);
    }

    /**
     * None: the server's certificate request then names no CA, so that a client holding only a
     * certificate of another CA still presents it and is refused with that reason (and logged),
     * instead of presenting nothing.
     */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }

    /**
     * Logs the refusal and returns what to throw: for a certificate of another CA under BoringSSL,
     * an exception carrying OpenSSL's "unable to get local issuer" code, so that the client gets an
     * {@code unknown_ca} alert rather than {@code internal_error} (revoked and expired map
     * themselves).
     */
    private static CertificateException refused(CertificateException e) {
      LOG.warn("fleet API refused a client: {}", e.getMessage());
      if (e.getCause() instanceof CertPathValidatorException v && v.getReason() == PKIXReason.NO_TRUST_ANCHOR && OpenSsl.isAvailable()) {
        return new OpenSslCertificateException(e.getMessage(), e, CertificateVerifier.X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
      }
      return e;
    }
  }
}
