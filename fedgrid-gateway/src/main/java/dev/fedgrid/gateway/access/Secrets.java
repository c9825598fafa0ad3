package dev.fedgrid.gateway.access;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The bearer secrets the gateway hands out (API tokens {@code fgt_…}, join tokens {@code fgj_…},
 * generated passwords) and how they are stored: random bytes from a {@link SecureRandom} as
 * base64url, kept only as their SHA-256 (a fast hash is enough for a secret of 256 random bits;
 * passwords chosen by people go through {@link Passwords} instead). Thread-safe.
 */
final class Secrets {
  private static final SecureRandom RANDOM = new SecureRandom();

  private Secrets() {}

  /** {@code prefix} followed by the base64url (no padding) of {@code bytes} random bytes. */
  static String random(String prefix, int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** The lower-case hex SHA-256 of a secret, as stored. */
  static String sha256(String secret) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
