package dev.fedgrid.api.job;

/**
 * What a node's tasks of a round used besides the data they processed, for metering and billing:
 * CPU time the node measured around its training and evaluation, and bytes the gateway moved for
 * them over the fleet API (parameters fetched and results pushed). Not a contribution measure:
 * contributions count examples × epochs, since time would reward slow hardware. Immutable.
 *
 * @param cpuMicros CPU time in microseconds, as the node reported it; at least 0
 * @param bytesMoved bytes of parameters streamed to the node and of results it pushed; at least 0
 */
public record ResourceUsage(long cpuMicros, long bytesMoved) {
  /** Nothing used. */
  public static final ResourceUsage NONE = new ResourceUsage(0, 0);

  public ResourceUsage {
    if (cpuMicros < 0 || bytesMoved < 0) {
      throw new IllegalArgumentException("usage cannot be negative: " + cpuMicros + " µs CPU, " + bytesMoved + " bytes");
    }
  }

  /** Both usages added. */
  public ResourceUsage plus(ResourceUsage other) {
    return new ResourceUsage(Math.addExact(cpuMicros, other.cpuMicros), Math.addExact(bytesMoved, other.bytesMoved));
  }
}
