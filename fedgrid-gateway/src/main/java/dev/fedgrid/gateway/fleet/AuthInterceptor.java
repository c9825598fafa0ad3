package dev.fedgrid.gateway.fleet;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.proto.fleet.v1.FleetGrpc;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Map;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates every fleet call except {@code Register}: reads the node id and token from the
 * {@value #NODE_ID_HEADER} and {@value #NODE_TOKEN_HEADER} headers, checks them with {@link
 * FleetBackend#authenticate}, and puts the node's id into the call's {@link Context} under {@link
 * #NODE}. A call that fails is closed with the mapped status before any message is read. Tokens
 * are never logged.
 *
 * <p>Over mutual TLS a node's identity is its certificate: {@code Register} gets the client's
 * {@link PeerCertificate} in its context under {@link #PEER} (the service checks the name there),
 * and every other call is refused with {@code NODE_IDENTITY_MISMATCH} unless the
 * authenticated node registered under the certificate's name, so that a node holding its own
 * certificate cannot use another node's id and token. Plaintext calls carry no certificate and are
 * checked by token alone. Every call gets the certificate under {@link #PEER}, whose key checks
 * the node's signed results, and every call (Register too) first checks that certificate again
 * against the CA's current revocation list and its validity, refusing it with {@code
 * CERTIFICATE_NO_LONGER_VALID} when it was revoked or expired after the connection opened.
 * Thread-safe.
 */
final class AuthInterceptor implements ServerInterceptor {
  static final String NODE_ID_HEADER = "fedgrid-node-id";
  static final String NODE_TOKEN_HEADER = "fedgrid-node-token";
  static final Metadata.Key<String> NODE_ID_KEY = Metadata.Key.of(NODE_ID_HEADER, Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<String> NODE_TOKEN_KEY = Metadata.Key.of(NODE_TOKEN_HEADER, Metadata.ASCII_STRING_MARSHALLER);

  /** The authenticated node of the current call. */
  static final Context.Key<NodeId> NODE = Context.key("fedgrid-node");

  /** The client certificate of the current call; null over plaintext. */
  static final Context.Key<PeerCertificate> PEER = Context.key("fedgrid-peer-certificate");

  private static final Logger LOG = LoggerFactory.getLogger(AuthInterceptor.class);
  private static final String REGISTER = FleetGrpc.getRegisterMethod().getFullMethodName();

  private final FleetBackend backend;
  private final X509ExtendedTrustManager clients;

  /**
   * @param clients the trust manager that admitted the connections' certificates at their
   *     handshakes, to check them again on every call; null over plaintext
   */
  AuthInterceptor(FleetBackend backend, X509ExtendedTrustManager clients) {
    this.backend = backend;
    this.clients = clients;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    PeerCertificate peer = PeerCertificate.of(call);
    boolean register = method.equals(REGISTER);
    NodeId node = null;
    try {
      stillTrusted(peer);
      if (!register) node = authenticate(call, headers, peer);
    } catch (RuntimeException e) {
      if (e instanceof FedGridException f) {
        LOG.warn("fleet call {} refused: {}: {}", call.getMethodDescriptor().getBareMethodName(), f.code(), f.getMessage());
      }
      StatusRuntimeException status = FleetErrors.toStatus(e, method);
      call.close(status.getStatus(), status.getTrailers() == null ? new Metadata() : status.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    if (register) return Contexts.interceptCall(Context.current().withValue(PEER, peer), call, headers, next);
    return Contexts.interceptCall(Context.current().withValues(NODE, node, PEER, peer), call, headers, next);
  }

  /** The node a call's headers name, once its token and (over TLS) its certificate check out. */
  private NodeId authenticate(ServerCall<?, ?> call, Metadata headers, PeerCertificate peer) {
    String id = headers.get(NODE_ID_KEY);
    String token = headers.get(NODE_TOKEN_KEY);
    if (id == null || token == null || id.isEmpty() || token.isEmpty()) {
      throw new UnauthenticatedException(
          "NODE_CREDENTIALS_MISSING",
          "call " + call.getMethodDescriptor().getBareMethodName() + " needs the " + NODE_ID_HEADER + " and " + NODE_TOKEN_HEADER
              + " headers; register first to get them");
    }
    NodeId node = NodeId.of(id);
    backend.authenticate(node, token);
    if (peer != null) peer.requireActsAs(node, backend.nodeName(node).orElse(""));
    return node;
  }

  /**
   * Checks the connection's certificate again, as at its handshake: a certificate revoked (or
   * expired) since the connection opened gets no further call through it, at once rather than at
   * the node's next reconnect. The revocation list is re-read when its file changes.
   */
  private void stillTrusted(PeerCertificate peer) {
    if (clients == null || peer == null || peer.certificate() == null) return;
    try {
      clients.checkClientTrusted(new X509Certificate[] {peer.certificate()}, "UNKNOWN");
    } catch (CertificateException e) {
      throw new UnauthenticatedException(
          "CERTIFICATE_NO_LONGER_VALID",
          "this connection's certificate is no longer accepted: " + e.getMessage(),
          Map.of("certificate", peer.subject(), "serial", peer.certificate().getSerialNumber().toString(16)));
    }
  }
}
