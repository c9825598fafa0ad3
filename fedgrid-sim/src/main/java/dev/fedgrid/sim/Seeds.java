package dev.fedgrid.sim;

/** Seeds derived from the simulation's seed, so every per-node and per-round draw is reproducible. */
final class Seeds {
  private Seeds() {}

  /** SplitMix64's finalizer: a well-mixed 64-bit value from the inputs. */
  static long mix(long seed, long a, long b) {
    long z = seed + 0x9E3779B97F4A7C15L * (a + 1) + 0xBF58476D1CE4E5B9L * (b + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** A uniform in [0, 1) from the inputs. */
  static double uniform(long seed, long a, long b) {
    return (mix(seed, a, b) >>> 11) * 0x1.0p-53;
  }
}
