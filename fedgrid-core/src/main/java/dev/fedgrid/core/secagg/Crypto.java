package dev.fedgrid.core.secagg;

import dev.fedgrid.api.InternalException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.XECPrivateKey;
import java.security.interfaces.XECPublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import java.util.Map;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KDF;
import javax.crypto.KeyAgreement;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.HKDFParameterSpec;
import javax.crypto.spec.IvParameterSpec;

/**
 * The vetted primitives under SecAgg+, all from the JDK: X25519 (RFC 7748) key agreement, HKDF-SHA256
 * (RFC 5869) through {@link KDF}, AES-256-GCM for the shares sent through the server, and AES-128-CTR
 * as the pseudorandom generator that expands a key into a mask.
 *
 * <p>Every derived key is bound to the protocol version and the round's session id (the HKDF salt)
 * and to the nodes it belongs to (the HKDF info), so no key is ever used for two purposes, two pairs
 * or two rounds. Stateless and thread-safe: each call takes its own JCA objects.
 */
final class Crypto {
  /** Bytes of an X25519 public key, private scalar, agreed secret, and of a self-mask seed. */
  static final int KEY_BYTES = 32;
  /** Bytes of the random nonce in front of every sealed share. */
  static final int NONCE_BYTES = 12;
  /** Bytes of the GCM authentication tag. */
  static final int TAG_BYTES = 16;
  /** Bytes of expanded mask produced per {@code Cipher.update}: big calls were 50 times slower. */
  static final int CHUNK_BYTES = 64 * 1024;

  private static final byte[] PROTOCOL = "fedgrid-secagg+/v1".getBytes(StandardCharsets.US_ASCII);
  private static final BigInteger FIELD_PRIME = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
  private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final byte[] ZEROS = new byte[CHUNK_BYTES];
  /** The X25519 base point, u = 9: agreeing with it turns a private scalar into its public key. */
  private static final PublicKey BASE_POINT = decodePublicKey(basePoint());

  private Crypto() {}

  /** What a key is derived for; the label goes into the HKDF info. */
  enum Purpose {
    PAIRWISE_MASK("pairwise-mask", 16),
    SELF_MASK("self-mask", 16),
    SHARE_ENCRYPTION("share-encryption", 32);

    private final byte[] label;
    private final int bytes;

    Purpose(String label, int bytes) {
      this.label = label.getBytes(StandardCharsets.US_ASCII);
      this.bytes = bytes;
    }
  }

  /** A fresh X25519 key pair. */
  static KeyPair generateKeyPair(SecureRandom random) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("X25519");
      generator.initialize(NamedParameterSpec.X25519, random);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw unavailable("X25519 key generation", e);
    }
  }

  /** The RFC 7748 encoding of a public key: the u-coordinate, 32 bytes little-endian. */
  static byte[] encodePublicKey(PublicKey key) {
    byte[] bigEndian = ((XECPublicKey) key).getU().toByteArray();
    byte[] out = new byte[KEY_BYTES];
    for (int i = 0; i < KEY_BYTES && i < bigEndian.length; i++) out[i] = bigEndian[bigEndian.length - 1 - i];
    return out;
  }

  /**
   * Decodes a public key, refusing anything but the canonical encoding this class writes.
   *
   * @throws IllegalArgumentException when {@code raw} is not 32 bytes or the u-coordinate is not
   *     below 2^255 - 19
   */
  static PublicKey decodePublicKey(byte[] raw) {
    if (raw == null || raw.length != KEY_BYTES) {
      throw new IllegalArgumentException("an X25519 public key has " + KEY_BYTES + " bytes, got " + (raw == null ? "none" : raw.length));
    }
    byte[] bigEndian = new byte[KEY_BYTES];
    for (int i = 0; i < KEY_BYTES; i++) bigEndian[i] = raw[KEY_BYTES - 1 - i];
    BigInteger u = new BigInteger(1, bigEndian);
    if (u.compareTo(FIELD_PRIME) >= 0) {
      throw new IllegalArgumentException("the X25519 public key is not canonically encoded (u >= 2^255 - 19)");
    }
    try {
      return KeyFactory.getInstance("X25519").generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, u));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an X25519 public key: " + e.getMessage(), e);
    }
  }

  /** The 32-byte private scalar of a key, as RFC 7748 encodes it (unclamped). */
  static byte[] privateScalar(PrivateKey key) {
    return ((XECPrivateKey) key).getScalar().orElseThrow(() -> new InternalException(
        "SECAGG_KEY_NOT_EXTRACTABLE", "the X25519 provider does not expose private scalars, which SecAgg+ secret-shares"));
  }

  /** The private key of a 32-byte scalar, such as one reconstructed from shares. */
  static PrivateKey privateKey(byte[] scalar) {
    try {
      return KeyFactory.getInstance("X25519").generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar.clone()));
    } catch (GeneralSecurityException e) {
      throw unavailable("X25519 private key decoding", e);
    }
  }

  /** The public key encoding that belongs to a private scalar: X25519(scalar, 9). */
  static byte[] publicKeyOf(byte[] scalar) {
    try {
      return agree(privateKey(scalar), BASE_POINT);
    } catch (InvalidKeyException e) {
      throw unavailable("X25519 public key derivation", e);
    }
  }

  /**
   * The X25519 shared secret of a private and a public key.
   *
   * @throws InvalidKeyException when the public key is of small order (the secret would be zero)
   */
  static byte[] agree(PrivateKey mine, PublicKey theirs) throws InvalidKeyException {
    try {
      KeyAgreement agreement = KeyAgreement.getInstance("X25519");
      agreement.init(mine);
      agreement.doPhase(theirs, true);
      return agreement.generateSecret();
    } catch (InvalidKeyException e) {
      throw e;
    } catch (GeneralSecurityException e) {
      throw unavailable("X25519 key agreement", e);
    }
  }

  /**
   * An AES key derived by HKDF-SHA256 (extract then expand) from input keying material.
   *
   * @param secret the agreed secret or the self-mask seed
   * @param session the round's session id, part of the salt
   * @param purpose what the key is for, part of the info and fixing its length
   * @param nodes the nodes the key belongs to, in a fixed order, part of the info
   */
  static SecretKey deriveKey(byte[] secret, String session, Purpose purpose, int... nodes) {
    byte[] sessionBytes = session.getBytes(StandardCharsets.UTF_8);
    byte[] salt = ByteBuffer.allocate(PROTOCOL.length + sessionBytes.length).put(PROTOCOL).put(sessionBytes).array();
    ByteBuffer info = ByteBuffer.allocate(purpose.label.length + 4 * nodes.length).put(purpose.label);
    for (int node : nodes) info.putInt(node);
    try {
      KDF hkdf = KDF.getInstance("HKDF-SHA256");
      return hkdf.deriveKey("AES", HKDFParameterSpec.ofExtract().addIKM(secret).addSalt(salt).thenExpand(info.array(), purpose.bytes));
    } catch (GeneralSecurityException e) {
      throw unavailable("HKDF-SHA256", e);
    }
  }

  /** The associated data of a share sent from {@code sender} to {@code receiver} in a session. */
  static byte[] shareAssociatedData(String session, int sender, int receiver) {
    byte[] sessionBytes = session.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(PROTOCOL.length + sessionBytes.length + 8).put(PROTOCOL).put(sessionBytes).putInt(sender).putInt(receiver).array();
  }

  /** Encrypts with AES-GCM under a fresh random nonce; returns nonce, ciphertext and tag. */
  static byte[] seal(SecretKey key, byte[] plaintext, byte[] associatedData, SecureRandom random) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(8 * TAG_BYTES, nonce));
      gcm.updateAAD(associatedData);
      byte[] out = Arrays.copyOf(nonce, NONCE_BYTES + gcm.getOutputSize(plaintext.length));
      gcm.doFinal(plaintext, 0, plaintext.length, out, NONCE_BYTES);
      return out;
    } catch (GeneralSecurityException e) {
      throw unavailable("AES-GCM encryption", e);
    }
  }

  /**
   * Decrypts what {@link #seal} wrote.
   *
   * @throws AEADBadTagException when the ciphertext, its nonce or the associated data were altered
   */
  static byte[] open(SecretKey key, byte[] sealed, byte[] associatedData) throws AEADBadTagException {
    if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new AEADBadTagException("too short");
    try {
      Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
      gcm.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(8 * TAG_BYTES, sealed, 0, NONCE_BYTES));
      gcm.updateAAD(associatedData);
      return gcm.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
    } catch (AEADBadTagException e) {
      throw e;
    } catch (GeneralSecurityException e) {
      throw unavailable("AES-GCM decryption", e);
    }
  }

  /**
   * Adds (or subtracts) the mask that {@code key} expands to into {@code acc}, modulo 2^bits.
   *
   * <p>The mask is the AES-128-CTR keystream under {@code key} from a zero counter block: element
   * {@code i} is the little-endian word at byte {@code i * w}, with {@code w = 4} when {@code bits <=
   * 32} and {@code 8} otherwise, reduced modulo 2^bits. Since the modulus is a power of two, each
   * element is exactly uniform when the keystream is. A key is used for one mask only (it is derived
   * per pair, per node and per session), so the fixed counter block never repeats under one key.
   * The keystream is produced {@value #CHUNK_BYTES} bytes per {@code update} call into one reused
   * buffer. Cost: {@code O(d)} AES blocks and {@code O(CHUNK_BYTES)} memory.
   */
  static void addMask(SecretKey key, long[] acc, boolean subtract, int bits) {
    int width = bits <= 32 ? Integer.BYTES : Long.BYTES;
    long modulusMask = (1L << bits) - 1;
    byte[] stream = new byte[Math.min(CHUNK_BYTES, Math.max(1, acc.length * width))];
    int perChunk = stream.length / width;
    try {
      Cipher ctr = Cipher.getInstance("AES/CTR/NoPadding");
      ctr.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(new byte[16]));
      for (int start = 0; start < acc.length; start += perChunk) {
        int count = Math.min(perChunk, acc.length - start);
        int produced = ctr.update(ZEROS, 0, count * width, stream, 0);
        if (produced != count * width) {
          throw new InternalException("SECAGG_PRG_SHORT", "AES-CTR produced " + produced + " of " + count * width + " keystream bytes");
        }
        if (width == Integer.BYTES) {
          for (int i = 0; i < count; i++) {
            long m = ((int) INT_LE.get(stream, i * 4)) & 0xFFFF_FFFFL;
            acc[start + i] = (subtract ? acc[start + i] - m : acc[start + i] + m) & modulusMask;
          }
        } else {
          for (int i = 0; i < count; i++) {
            long m = (long) LONG_LE.get(stream, i * 8);
            acc[start + i] = (subtract ? acc[start + i] - m : acc[start + i] + m) & modulusMask;
          }
        }
      }
    } catch (GeneralSecurityException e) {
      throw unavailable("AES-CTR mask expansion", e);
    }
  }

  private static byte[] basePoint() {
    byte[] u = new byte[KEY_BYTES];
    u[0] = 9;
    return u;
  }

  private static InternalException unavailable(String what, GeneralSecurityException e) {
    return new InternalException(
        "SECAGG_CRYPTO_FAILED",
        what + " failed in the JDK provider (" + e + "); SecAgg+ needs a JDK 25 with the SunEC and SunJCE providers",
        Map.of("primitive", what),
        e);
  }
}
