package dev.fedgrid.security;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Instant;

/**
 * A certificate the project CA issued, as {@link ProjectCa#list()} reports it. Immutable.
 *
 * @param role what it is for
 * @param name its subject's common name
 * @param serial its serial number (shown in hexadecimal, see {@link #serialHex()})
 * @param notBefore start of validity
 * @param notAfter end of validity
 * @param revoked whether the CA's revocation list names it
 * @param directory the directory holding it with its key, the CA certificate and the revocation
 *     list: what {@code --tls-dir} takes; it may since hold a newer certificate for the same name
 */
public record IssuedCertificate(CertificateRole role, String name, BigInteger serial, Instant notBefore, Instant notAfter, boolean revoked, Path directory) {
  /** The serial in lower-case hexadecimal, as the CLI prints and accepts it. */
  public String serialHex() {
    return serial.toString(16);
  }

  /** Whether it is usable at {@code now}: not revoked and within its validity. */
  public boolean validAt(Instant now) {
    return !revoked && !now.isBefore(notBefore) && !now.isAfter(notAfter);
  }
}
