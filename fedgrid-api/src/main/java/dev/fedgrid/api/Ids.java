package dev.fedgrid.api;

import java.security.SecureRandom;
import java.time.Clock;

/**
 * Generates the wire form of FedGrid ids: a short type prefix and 26 characters that sort by
 * creation time, for example {@code job_01jd3v6q9e8r4k2m7n5p0s1t2w}.
 *
 * <p>The 26 characters are a ULID in lower-case Crockford base32: 48 bits of milliseconds since the
 * epoch followed by 80 bits from a {@link SecureRandom}. Within one process ids are monotonic, as
 * in the ULID specification's monotonic mode: an id made in the same millisecond as the previous
 * one takes that id's random bits plus one, so ids sort in the order they were made (lists ordered
 * by id are in creation order, even for things made in one burst), and the first id of each
 * millisecond is unguessable.
 *
 * <p>Thread-safe.
 */
public final class Ids {
  private static final char[] ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final long LOW_MASK = (1L << 40) - 1;
  private static long lastMillis = Long.MIN_VALUE; // guarded by Ids.class
  private static long lastHi; // guarded by Ids.class
  private static long lastLo; // guarded by Ids.class

  /** Length of the part after the prefix's underscore. */
  public static final int BODY_LENGTH = 26;

  private Ids() {}

  /** A new id with the given prefix (without the underscore), stamped with the system clock. */
  public static String next(String prefix) {
    return next(prefix, Clock.systemUTC().millis());
  }

  /**
   * A new id with the given prefix and creation time in milliseconds since the epoch. Made in the
   * same millisecond as the previous id, it is that id plus one in its random part; for an earlier
   * millisecond (a clock set back, or an explicit past time) it is random, without monotonicity.
   */
  public static String next(String prefix, long epochMillis) {
    long hi; // 80 random bits as two 40-bit halves
    long lo;
    synchronized (Ids.class) {
      if (epochMillis == lastMillis && lastLo != LOW_MASK) {
        hi = lastHi;
        lo = lastLo + 1;
      } else if (epochMillis == lastMillis) { // the low half overflowed: carry
        hi = (lastHi + 1) & LOW_MASK;
        lo = 0;
      } else {
        byte[] random = new byte[10];
        RANDOM.nextBytes(random);
        hi = 0;
        lo = 0;
        for (int i = 0; i < 5; i++) hi = (hi << 8) | (random[i] & 0xff);
        for (int i = 5; i < 10; i++) lo = (lo << 8) | (random[i] & 0xff);
        lo &= LOW_MASK >>> 1; // leave room to count up within the millisecond
      }
      if (epochMillis >= lastMillis) {
        lastMillis = epochMillis;
        lastHi = hi;
        lastLo = lo;
      }
    }
    char[] body = new char[BODY_LENGTH];
    long time = epochMillis;
    for (int i = 9; i >= 0; i--) { // 10 chars x 5 bits = 50 bits >= 48 bits of time
      body[i] = ALPHABET[(int) (time & 31)];
      time >>>= 5;
    }
    for (int i = 17; i >= 10; i--) {
      body[i] = ALPHABET[(int) (hi & 31)];
      hi >>>= 5;
    }
    for (int i = 25; i >= 18; i--) {
      body[i] = ALPHABET[(int) (lo & 31)];
      lo >>>= 5;
    }
    return prefix + "_" + new String(body);
  }

  /**
   * Checks that {@code value} is a well-formed id with the given prefix.
   *
   * @throws InvalidRequestException naming the expected form when it is not
   */
  public static String check(String prefix, String value) {
    if (value == null) {
      throw new InvalidRequestException("INVALID_ID", "missing " + prefix + " id");
    }
    boolean ok = value.length() == prefix.length() + 1 + BODY_LENGTH && value.startsWith(prefix + "_");
    for (int i = prefix.length() + 1; ok && i < value.length(); i++) {
      char c = value.charAt(i);
      ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z' && c != 'i' && c != 'l' && c != 'o' && c != 'u');
    }
    if (!ok) {
      String shown = value.length() > 64 ? value.substring(0, 64) + "…" : value;
      throw new InvalidRequestException(
          "INVALID_ID",
          "'" + shown + "' is not a " + prefix + " id: expected '" + prefix + "_' followed by "
              + BODY_LENGTH + " lower-case base32 characters");
    }
    return value;
  }
}
