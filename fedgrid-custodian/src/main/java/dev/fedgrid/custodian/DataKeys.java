package dev.fedgrid.custodian;

import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.model.SealedArtifact;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.crypto.threshold.ShamirSecretSplitter;
import org.bouncycastle.crypto.threshold.ShamirSplitSecret;
import org.bouncycastle.crypto.threshold.ShamirSplitSecretShare;

/**
 * Fresh 256-bit data keys and their k-of-n Shamir sharing (Shamir 1979, "How to share a secret",
 * CACM 22(11)) over GF(2^8) with Bouncy Castle's {@link ShamirSecretSplitter}: each byte of the key
 * is the constant term of its own random polynomial of degree {@code k - 1}; custodian {@code i}
 * holds the values at {@code x = i}. Any {@code k} shares interpolate the key at 0; fewer are
 * uniformly distributed whatever the key, so they reveal nothing about it. Combining fewer than
 * {@code k} shares yields some other 32 bytes, not an error, which is why {@link ConfidentialBox}
 * authenticates the ciphertext: a wrong key fails AES-GCM's tag. Stateless and thread-safe.
 */
public final class DataKeys {
  /** AES-256. */
  public static final int KEY_BYTES = 32;
  /** GF(2^8) has 255 distinct non-zero points. */
  public static final int MAX_HOLDERS = SealedArtifact.MAX_CUSTODIANS;

  private DataKeys() {}

  /** A fresh key from {@code random} (a {@link SecureRandom}). */
  public static byte[] fresh(SecureRandom random) {
    byte[] key = new byte[KEY_BYTES];
    random.nextBytes(key);
    return key;
  }

  /**
   * Splits {@code key} into {@code holders} shares, any {@code threshold} of which give it back.
   *
   * @throws InvalidRequestException with code {@code INVALID_THRESHOLD} unless {@code 1 <= threshold
   *     <= holders <= 255}; a threshold of 1 is refused too, since every custodian alone could then
   *     decrypt
   */
  public static List<KeyShare> split(byte[] key, int threshold, int holders, SecureRandom random) {
    checkThreshold(threshold, holders);
    if (key == null || key.length != KEY_BYTES) throw new IllegalArgumentException("a data key is " + KEY_BYTES + " bytes");
    ShamirSplitSecretShare[] shares = ShamirSecretSplitter.getInstance(ShamirSecretSplitter.Algorithm.AES, KEY_BYTES, random)
        .resplit(key, threshold, holders)
        .getSecretShares();
    var out = new ArrayList<KeyShare>(holders);
    try {
      for (int i = 0; i < holders; i++) out.add(new KeyShare(i + 1, shares[i].getEncoded()));
    } catch (IOException e) {
      throw new InternalException("SHAMIR_FAILED", "Bouncy Castle could not encode a Shamir share: " + e.getMessage(), Map.of(), e);
    }
    return List.copyOf(out);
  }

  /**
   * Interpolates the key from shares at distinct indices. Given fewer than the threshold the result
   * is a wrong key (see the class comment); callers count first.
   *
   * @throws InvalidRequestException with code {@code INVALID_SHARE} for no shares or repeated indices
   */
  public static byte[] combine(List<KeyShare> shares) {
    if (shares == null || shares.isEmpty()) throw new InvalidRequestException("INVALID_SHARE", "no shares to combine", Map.of());
    Set<Integer> seen = new HashSet<>();
    ShamirSplitSecretShare[] bc = new ShamirSplitSecretShare[shares.size()];
    for (int i = 0; i < shares.size(); i++) {
      KeyShare s = shares.get(i);
      if (!seen.add(s.index())) throw new InvalidRequestException("INVALID_SHARE", "two shares have index " + s.index(), Map.of());
      bc[i] = new ShamirSplitSecretShare(s.value().clone(), s.index());
    }
    try {
      return ShamirSplitSecret.getInstance(ShamirSecretSplitter.Algorithm.AES, bc).getSecret();
    } catch (IOException e) {
      throw new InternalException("SHAMIR_FAILED", "Bouncy Castle could not combine Shamir shares: " + e.getMessage(), Map.of(), e);
    }
  }

  /** See {@link SealedArtifact#checkThreshold}. */
  public static void checkThreshold(int threshold, int holders) {
    SealedArtifact.checkThreshold(threshold, holders);
  }

}
