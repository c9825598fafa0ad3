package dev.fedgrid.gateway.fleet;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.UnavailableException;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps {@link FedGridException}s onto gRPC statuses: the status description reads {@code CODE:
 * message}, and the trailers carry the code in {@value #CODE_HEADER} and the UTF-8 message in
 * {@value #MESSAGE_HEADER}.
 *
 * <p>A {@link ConflictException} whose code says the result is already there (its code contains
 * {@code ALREADY}, {@code DUPLICATE} or {@code REPLAY}) becomes ALREADY_EXISTS, which a retrying
 * node may treat as delivered; any other conflict is FAILED_PRECONDITION. Anything that is not a
 * {@code FedGridException} is a bug: it is logged with its stack trace and reported as INTERNAL
 * without its message, which could carry internals. Stateless and thread-safe.
 */
final class FleetErrors {
  static final String CODE_HEADER = "fedgrid-error-code";
  static final String MESSAGE_HEADER = "fedgrid-error-message-bin";
  static final Metadata.Key<String> CODE_KEY = Metadata.Key.of(CODE_HEADER, Metadata.ASCII_STRING_MARSHALLER);
  static final Metadata.Key<byte[]> MESSAGE_KEY = Metadata.Key.of(MESSAGE_HEADER, Metadata.BINARY_BYTE_MARSHALLER);

  private static final Logger LOG = LoggerFactory.getLogger(FleetErrors.class);
  private static final Pattern REPLAY = Pattern.compile(".*(ALREADY|DUPLICATE|REPLAY).*");

  private FleetErrors() {}

  /** The status a failure maps to, with its trailers; {@code where} names the call for the log. */
  static StatusRuntimeException toStatus(Throwable failure, String where) {
    if (failure instanceof StatusRuntimeException s) return s; // already a status, e.g. a cancelled call
    FedGridException e;
    if (failure instanceof FedGridException f) {
      e = f;
    } else {
      LOG.error("fleet call {} failed unexpectedly", where, failure);
      e = new InternalException("INTERNAL_ERROR", "the gateway failed while handling " + where + "; its log has the details");
    }
    Status status = switch (e) {
      case InvalidRequestException x -> Status.INVALID_ARGUMENT;
      case NotFoundException x -> Status.NOT_FOUND;
      case ConflictException x -> REPLAY.matcher(x.code()).matches() ? Status.ALREADY_EXISTS : Status.FAILED_PRECONDITION;
      case UnauthenticatedException x -> Status.UNAUTHENTICATED;
      case PermissionDeniedException x -> Status.PERMISSION_DENIED;
      case UnavailableException x -> Status.UNAVAILABLE;
      case InternalException x -> Status.INTERNAL;
    };
    return status(status, e.code(), e.getMessage() == null ? e.code() : e.getMessage());
  }

  /** A status with FedGrid's description and trailers. */
  static StatusRuntimeException status(Status status, String code, String message) {
    Metadata trailers = new Metadata();
    trailers.put(CODE_KEY, code);
    trailers.put(MESSAGE_KEY, message.getBytes(StandardCharsets.UTF_8));
    return status.withDescription(code + ": " + message).asRuntimeException(trailers);
  }
}
