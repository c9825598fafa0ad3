package dev.fedgrid.core.secagg;

import dev.fedgrid.api.InternalException;
import java.io.IOException;
import java.security.SecureRandom;
import org.bouncycastle.crypto.threshold.ShamirSecretSplitter;
import org.bouncycastle.crypto.threshold.ShamirSplitSecret;
import org.bouncycastle.crypto.threshold.ShamirSplitSecretShare;

/**
 * Shamir secret sharing (Shamir 1979, "How to share a secret", CACM 22(11)) over GF(2^8), byte by
 * byte, by Bouncy Castle's {@link ShamirSecretSplitter} with the AES field polynomial.
 *
 * <p>Each byte of the secret is the constant term of its own random polynomial of degree {@code
 * threshold - 1}; holder {@code i} (from 1) gets the polynomial values at {@code x = i}. Any {@code
 * threshold} shares give the secret back by Lagrange interpolation at 0; fewer reveal nothing about
 * it. GF(2^8) limits a secret to 255 holders, so SecAgg+ allows at most 254 neighbours. Bouncy
 * Castle's share object does not expose its x-coordinate, so callers carry it next to the value.
 * Stateless and thread-safe.
 */
final class Shamir {
  /** The most holders GF(2^8) has distinct non-zero points for. */
  static final int MAX_HOLDERS = 255;

  private Shamir() {}

  /**
   * Splits a secret; element {@code i} of the result is the share at {@code x = i + 1}.
   *
   * @param secret the bytes to share
   * @param threshold how many shares reconstruct it, 1 to {@code holders}
   * @param holders how many shares to make, at most {@value #MAX_HOLDERS}
   */
  static byte[][] split(byte[] secret, int threshold, int holders, SecureRandom random) {
    ShamirSplitSecretShare[] shares = ShamirSecretSplitter.getInstance(ShamirSecretSplitter.Algorithm.AES, secret.length, random)
        .resplit(secret, threshold, holders)
        .getSecretShares();
    byte[][] values = new byte[holders][];
    try {
      for (int i = 0; i < holders; i++) values[i] = shares[i].getEncoded();
    } catch (IOException e) {
      throw new InternalException("SECAGG_SHAMIR_FAILED", "Bouncy Castle could not encode a Shamir share: " + e.getMessage(), java.util.Map.of(), e);
    }
    return values;
  }

  /**
   * Interpolates the secret at 0 from shares of equal length at distinct x-coordinates in 1..255.
   * Given fewer than the threshold it returns garbage, not an error: callers count first.
   */
  static byte[] combine(int[] xs, byte[][] values) {
    ShamirSplitSecretShare[] shares = new ShamirSplitSecretShare[xs.length];
    for (int i = 0; i < xs.length; i++) shares[i] = new ShamirSplitSecretShare(values[i], xs[i]);
    try {
      return ShamirSplitSecret.getInstance(ShamirSecretSplitter.Algorithm.AES, shares).getSecret();
    } catch (IOException e) {
      throw new InternalException("SECAGG_SHAMIR_FAILED", "Bouncy Castle could not combine Shamir shares: " + e.getMessage(), java.util.Map.of(), e);
    }
  }
}
