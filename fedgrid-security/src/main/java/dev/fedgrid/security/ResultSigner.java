package dev.fedgrid.security;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.cert.X509Certificate;
import java.util.Objects;

/**
 * Signs a node's {@link ResultStatement}s with the private key of its certificate, and verifies
 * them with the certificate: a node's signing key is its TLS key, so the signature is bound to the
 * certificate the gateway already binds to the node's registration, and there is no second key to
 * issue, store or revoke. A revoked certificate stops the node at its next handshake, and with it
 * its signatures.
 *
 * <p>The algorithm follows the key: SHA256withECDSA for the EC P-256 keys {@link ProjectCa} issues
 * (ASN.1 DER signatures of at most 72 bytes), SHA256withRSA for RSA keys and the key's own
 * algorithm for Ed25519 and Ed448. What is signed is the statement's 32-byte {@link
 * ResultStatement#digest()}.
 *
 * <p>Thread-safe: every call uses its own {@link Signature}.
 */
public final class ResultSigner {
  /** The longest signature a verifier accepts: RSA-4096; ECDSA P-256 needs at most 72 bytes. */
  public static final int MAX_SIGNATURE_BYTES = 512;

  private final PrivateKey key;
  private final X509Certificate certificate;

  private ResultSigner(PrivateKey key, X509Certificate certificate) {
    this.key = key;
    this.certificate = certificate;
  }

  /** A signer with the key of {@code tls}'s certificate (which {@link TlsMaterial#load} checked belongs to it). */
  public static ResultSigner of(TlsMaterial tls) {
    Objects.requireNonNull(tls, "tls");
    return new ResultSigner(tls.privateKey(), tls.certificate());
  }

  /** Signs {@code statement}'s digest. */
  public byte[] sign(ResultStatement statement) {
    try {
      Signature signer = Signature.getInstance(algorithm(key));
      signer.initSign(key);
      signer.update(statement.digest());
      return signer.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with the key of " + ProjectTrustManager.describe(certificate) + ": " + e.getMessage(), e);
    }
  }

  /**
   * Whether {@code signature} is {@code certificate}'s key's signature of {@code statement}. A
   * malformed or oversized signature is simply not valid.
   */
  public static boolean verify(X509Certificate certificate, ResultStatement statement, byte[] signature) {
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(statement, "statement");
    if (signature == null || signature.length == 0 || signature.length > MAX_SIGNATURE_BYTES) return false;
    PublicKey key = certificate.getPublicKey();
    try {
      Signature verifier = Signature.getInstance(algorithm(key));
      verifier.initVerify(key);
      verifier.update(statement.digest());
      return verifier.verify(signature);
    } catch (SignatureException | InvalidKeyException e) {
      return false; // not a signature of this key's kind (e.g. bad DER)
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot verify signatures of " + key.getAlgorithm() + " keys: " + e.getMessage(), e);
    }
  }

  /** The signature algorithm for a key of the certificate's kind. */
  static String algorithm(Key key) {
    return switch (key.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      default -> key.getAlgorithm(); // Ed25519, Ed448
    };
  }

  /** Names the certificate; never the key. */
  @Override
  public String toString() {
    return "ResultSigner[" + ProjectTrustManager.describe(certificate) + "]";
  }
}
