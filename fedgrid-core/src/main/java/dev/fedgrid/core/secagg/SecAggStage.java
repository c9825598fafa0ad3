package dev.fedgrid.core.secagg;

/** Where a SecAgg+ client or server is in its round; the stages run in declaration order. */
public enum SecAggStage {
  /** Stage 0: the server draws the graph and tells each client its neighbours. */
  SETUP,
  /** Stage 1: each client advertises two X25519 public keys. */
  ADVERTISE_KEYS,
  /** Stage 2: each client secret-shares its self-mask seed and masking key among its neighbours. */
  SHARE_KEYS,
  /** Stage 3: each client sends its masked, quantized input. */
  MASKED_INPUT,
  /** Stage 4: survivors reveal the shares the server needs to remove the masks. */
  UNMASKING,
  /** The round ended with the sum (server) or with the client's last answer (client). */
  DONE,
  /** The round was abandoned; nothing more is accepted and no sum is released. */
  FAILED
}
