package dev.fedgrid.market;

/** A metered quantity an activity counts and a price can be linear in. */
public enum UsageCounter {
  /** Examples processed times epochs: the contribution measure, since time would reward slow hardware. */
  EXAMPLES_EPOCHS("fedgrid.usage.examples_epochs"),
  /** CPU seconds spent. */
  CPU_SECONDS("fedgrid.usage.cpu_seconds"),
  /** Bytes moved in and out. */
  BYTES("fedgrid.usage.bytes");

  private final String key;

  UsageCounter(String key) {
    this.key = key;
  }

  /** The counter's property key, such as {@code fedgrid.usage.cpu_seconds}. */
  public String key() {
    return key;
  }
}
