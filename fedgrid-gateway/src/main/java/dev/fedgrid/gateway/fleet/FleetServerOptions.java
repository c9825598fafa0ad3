package dev.fedgrid.gateway.fleet;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;

/**
 * Settings of the fleet API server, checked when built. Immutable and thread-safe.
 *
 * @param maxUpdateBytes largest encoded update a node may push (default 512 MiB); a push that
 *     declares more is refused before any of it is buffered
 * @param maxPollWait longest a task long poll is held open (default 30 s); nodes may ask for less
 * @param maxMessageBytes largest single inbound gRPC message (default 2 MiB; chunks are at most 1
 *     MiB, so this leaves room for the envelope and a registration with many datasets)
 * @param keepAliveTime how often the server pings an idle connection (default 30 s)
 * @param keepAliveTimeout how long it waits for the ping's answer before closing (default 10 s)
 * @param permitKeepAliveTime most frequent client keepalive ping tolerated (default 10 s; nodes
 *     ping every 30 s so long polls survive idle-connection reapers in between)
 * @param shutdownTimeout how long {@link FleetServer#close()} waits for calls in flight before
 *     cancelling them (default 5 s)
 * @param clock the time reported to nodes
 */
public record FleetServerOptions(
    long maxUpdateBytes,
    Duration maxPollWait,
    int maxMessageBytes,
    Duration keepAliveTime,
    Duration keepAliveTimeout,
    Duration permitKeepAliveTime,
    Duration shutdownTimeout,
    InstantSource clock) {
  /** Largest chunk of tensor bytes in one message, in either direction: 1 MiB. */
  public static final int MAX_CHUNK_BYTES = 1 << 20;

  /** Upper bound for {@link #maxUpdateBytes}: what fits one Java array. */
  public static final long MAX_UPDATE_BYTES_LIMIT = Integer.MAX_VALUE - 8;

  public FleetServerOptions {
    if (maxUpdateBytes < 1 || maxUpdateBytes > MAX_UPDATE_BYTES_LIMIT) {
      throw new IllegalArgumentException("maxUpdateBytes must be in [1, " + MAX_UPDATE_BYTES_LIMIT + "], got " + maxUpdateBytes);
    }
    requirePositive("maxPollWait", maxPollWait);
    if (maxPollWait.compareTo(Duration.ofMinutes(5)) > 0) {
      throw new IllegalArgumentException("maxPollWait must be at most 5 minutes (proxies drop longer idle calls), got " + maxPollWait);
    }
    if (maxMessageBytes < MAX_CHUNK_BYTES + 64 * 1024) {
      throw new IllegalArgumentException(
          "maxMessageBytes must leave room for a " + MAX_CHUNK_BYTES + "-byte chunk and its envelope: at least "
              + (MAX_CHUNK_BYTES + 64 * 1024) + ", got " + maxMessageBytes);
    }
    requirePositive("keepAliveTime", keepAliveTime);
    requirePositive("keepAliveTimeout", keepAliveTimeout);
    requirePositive("permitKeepAliveTime", permitKeepAliveTime);
    Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
    if (shutdownTimeout.isNegative()) throw new IllegalArgumentException("shutdownTimeout must not be negative");
    Objects.requireNonNull(clock, "clock");
  }

  /** All defaults. */
  public static FleetServerOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these options. */
  public Builder toBuilder() {
    var b = new Builder();
    b.maxUpdateBytes = maxUpdateBytes;
    b.maxPollWait = maxPollWait;
    b.maxMessageBytes = maxMessageBytes;
    b.keepAliveTime = keepAliveTime;
    b.keepAliveTimeout = keepAliveTimeout;
    b.permitKeepAliveTime = permitKeepAliveTime;
    b.shutdownTimeout = shutdownTimeout;
    b.clock = clock;
    return b;
  }

  private static void requirePositive(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(name + " must be positive, got " + d);
  }

  /** Builds {@link FleetServerOptions}; every setter documents its default on the record. Not thread-safe. */
  public static final class Builder {
    private long maxUpdateBytes = 512L << 20;
    private Duration maxPollWait = Duration.ofSeconds(30);
    private int maxMessageBytes = 2 << 20;
    private Duration keepAliveTime = Duration.ofSeconds(30);
    private Duration keepAliveTimeout = Duration.ofSeconds(10);
    private Duration permitKeepAliveTime = Duration.ofSeconds(10);
    private Duration shutdownTimeout = Duration.ofSeconds(5);
    private InstantSource clock = InstantSource.system();

    private Builder() {}

    public Builder maxUpdateBytes(long bytes) {
      this.maxUpdateBytes = bytes;
      return this;
    }

    public Builder maxPollWait(Duration wait) {
      this.maxPollWait = wait;
      return this;
    }

    public Builder maxMessageBytes(int bytes) {
      this.maxMessageBytes = bytes;
      return this;
    }

    public Builder keepAliveTime(Duration time) {
      this.keepAliveTime = time;
      return this;
    }

    public Builder keepAliveTimeout(Duration timeout) {
      this.keepAliveTimeout = timeout;
      return this;
    }

    public Builder permitKeepAliveTime(Duration time) {
      this.permitKeepAliveTime = time;
      return this;
    }

    public Builder shutdownTimeout(Duration timeout) {
      this.shutdownTimeout = timeout;
      return this;
    }

    public Builder clock(InstantSource clock) {
      this.clock = clock;
      return this;
    }

    /** @throws IllegalArgumentException naming the first setting out of range */
    public FleetServerOptions build() {
      return new FleetServerOptions(
          maxUpdateBytes, maxPollWait, maxMessageBytes, keepAliveTime, keepAliveTimeout, permitKeepAliveTime, shutdownTimeout, clock);
    }
  }
}
