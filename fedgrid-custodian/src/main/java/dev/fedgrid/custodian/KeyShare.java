package dev.fedgrid.custodian;

import dev.fedgrid.api.InvalidRequestException;
import java.util.Arrays;
import java.util.Map;

/**
 * One Shamir share of a data key: the value of the key's sharing polynomials at {@code x = index}.
 * {@link #toString()} never shows the value. The array is the caller's; {@link #destroy()} zeroes
 * it once it is no longer needed.
 *
 * @param index the x-coordinate, 1 to 255
 * @param value the share, as long as the key (32 bytes)
 */
public record KeyShare(int index, byte[] value) {
  public KeyShare {
    if (index < 1 || index > DataKeys.MAX_HOLDERS) {
      throw new InvalidRequestException("INVALID_SHARE", "a share's index must be in [1, " + DataKeys.MAX_HOLDERS + "], got " + index, Map.of());
    }
    if (value == null || value.length != DataKeys.KEY_BYTES) {
      throw new InvalidRequestException(
          "INVALID_SHARE", "a share must be " + DataKeys.KEY_BYTES + " bytes, got " + (value == null ? "none" : value.length), Map.of());
    }
  }

  /** Overwrites the value with zeros. */
  public void destroy() {
    Arrays.fill(value, (byte) 0);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KeyShare s && s.index == index && Arrays.equals(s.value, value);
  }

  @Override
  public int hashCode() {
    return 31 * index + Arrays.hashCode(value);
  }

  @Override
  public String toString() {
    return "KeyShare[index=" + index + ", value=(hidden)]";
  }
}
