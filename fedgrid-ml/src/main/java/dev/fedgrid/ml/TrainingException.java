package dev.fedgrid.ml;

/** Local training or evaluation failed; the message says why and is safe to send to the gateway. */
public final class TrainingException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public TrainingException(String message) {
    super(message);
  }

  public TrainingException(String message, Throwable cause) {
    super(message, cause);
  }
}
