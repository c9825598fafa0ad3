package dev.fedgrid.node;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;

/**
 * A fleet call that failed: the gRPC status, and FedGrid's code and message when the gateway sent
 * them in the {@code fedgrid-error-code} and {@code fedgrid-error-message-bin} trailers.
 */
final class GatewayException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  static final Metadata.Key<String> CODE_KEY = Metadata.Key.of("fedgrid-error-code", Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<byte[]> MESSAGE_KEY = Metadata.Key.of("fedgrid-error-message-bin", Metadata.BINARY_BYTE_MARSHALLER);

  private final Status.Code status;
  private final String code;

  private GatewayException(Status.Code status, String code, String message, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.code = code;
  }

  static GatewayException of(StatusRuntimeException e) {
    Metadata trailers = e.getTrailers();
    String code = trailers == null ? null : trailers.get(CODE_KEY);
    byte[] message = trailers == null ? null : trailers.get(MESSAGE_KEY);
    String text = message != null
        ? new String(message, StandardCharsets.UTF_8)
        : e.getStatus().getDescription() != null ? e.getStatus().getDescription() : e.getStatus().getCode().toString();
    return new GatewayException(e.getStatus().getCode(), code == null ? e.getStatus().getCode().name() : code, text, e);
  }

  /** The gateway broke the protocol (a malformed stream); the task cannot go on. */
  static GatewayException protocol(String message) {
    return new GatewayException(Status.Code.INTERNAL, "PROTOCOL_ERROR", message, null);
  }

  /** The gRPC status code. */
  Status.Code status() {
    return status;
  }

  /** FedGrid's error code, or the status name when the gateway did not send one. */
  String code() {
    return code;
  }

  /** The gateway cannot be reached or is overloaded; worth retrying after a pause. */
  boolean transientFailure() {
    return status == Status.Code.UNAVAILABLE || status == Status.Code.DEADLINE_EXCEEDED || status == Status.Code.RESOURCE_EXHAUSTED
        || status == Status.Code.ABORTED;
  }

  /** The gateway does not know this node or its token (for example after a reset). */
  boolean unauthenticated() {
    return status == Status.Code.UNAUTHENTICATED;
  }

  @Override
  public String toString() {
    return status + " " + code + ": " + getMessage();
  }
}
