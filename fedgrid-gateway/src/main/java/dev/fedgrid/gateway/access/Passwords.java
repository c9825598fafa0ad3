package dev.fedgrid.gateway.access;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Password hashing with Argon2id (RFC 9106), by Bouncy Castle's {@link Argon2BytesGenerator}.
 *
 * <p><b>Parameters.</b> The defaults ({@link #owasp()}) are OWASP's first recommendation for
 * Argon2id (Password Storage Cheat Sheet): 19 MiB of memory (m = 19456 KiB), 2 passes (t = 2),
 * one lane (p = 1), a 16-byte salt from {@link SecureRandom} and a 32-byte hash. On a current
 * server core one hash takes some tens of milliseconds: negligible for a login, and for an attacker
 * with a stolen database every guess costs the same memory and time. Memory-hardness is what
 * Argon2id adds over PBKDF2: the 19 MiB per guess makes GPU and ASIC guessing expensive.
 *
 * <p><b>Encoding.</b> A hash is stored in the PHC string format that other Argon2 libraries read,
 * {@code $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>} with unpadded standard base64, so that it
 * carries its own parameters: raising them later ({@link #needsRehash}) does not invalidate stored
 * hashes, which verify with the parameters they were made with. Verification compares hashes in
 * constant time ({@link MessageDigest#isEqual}).
 *
 * <p>Immutable and thread-safe.
 *
 * @param memoryKiB memory per hash in KiB
 * @param iterations passes over the memory
 * @param parallelism lanes
 */
public record Passwords(int memoryKiB, int iterations, int parallelism) {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 32;
  private static final Pattern ENCODED =
      Pattern.compile("\\$argon2id\\$v=19\\$m=(\\d{1,8}),t=(\\d{1,4}),p=(\\d{1,3})\\$([A-Za-z0-9+/]+)\\$([A-Za-z0-9+/]+)");

  public Passwords {
    if (parallelism < 1 || iterations < 1 || memoryKiB < 8 * parallelism) {
      throw new IllegalArgumentException("Argon2id needs p >= 1, t >= 1 and m >= 8p KiB, got m=" + memoryKiB + ", t=" + iterations + ", p=" + parallelism);
    }
  }

  /** OWASP's recommendation: m = 19 MiB, t = 2, p = 1. */
  public static Passwords owasp() {
    return new Passwords(19 * 1024, 2, 1);
  }

  /** Hashes {@code password} with a fresh salt; the result is the PHC string. */
  public String hash(String password) {
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    byte[] hash = derive(password, salt, memoryKiB, iterations, parallelism, HASH_BYTES);
    Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
    return "$argon2id$v=19$m=" + memoryKiB + ",t=" + iterations + ",p=" + parallelism + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
  }

  /**
   * Whether {@code password} matches {@code encoded}, computed with the parameters stored in it. An
   * unreadable encoding does not match.
   */
  public boolean verify(String password, String encoded) {
    Matcher m = ENCODED.matcher(encoded);
    if (!m.matches()) return false;
    try {
      byte[] salt = Base64.getDecoder().decode(m.group(4));
      byte[] expected = Base64.getDecoder().decode(m.group(5));
      int memory = Integer.parseInt(m.group(1));
      int passes = Integer.parseInt(m.group(2));
      int lanes = Integer.parseInt(m.group(3));
      if (lanes < 1 || passes < 1 || memory < 8 * lanes || expected.length < 16) return false;
      return MessageDigest.isEqual(expected, derive(password, salt, memory, passes, lanes, expected.length));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /** Whether {@code encoded} was made with other parameters than these (and should be redone at the next login). */
  public boolean needsRehash(String encoded) {
    return !encoded.startsWith("$argon2id$v=19$m=" + memoryKiB + ",t=" + iterations + ",p=" + parallelism + "$");
  }

  private static byte[] derive(String password, byte[] salt, int memoryKiB, int iterations, int parallelism, int length) {
    var params = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
        .withVersion(Argon2Parameters.ARGON2_VERSION_13)
        .withSalt(salt)
        .withMemoryAsKB(memoryKiB)
        .withIterations(iterations)
        .withParallelism(parallelism)
        .build();
    var generator = new Argon2BytesGenerator();
    generator.init(params);
    byte[] out = new byte[length];
    generator.generateBytes(password.getBytes(StandardCharsets.UTF_8), out);
    return out;
  }
}
