package dev.fedgrid.security;

import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.InvalidRequestException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * PEM reading and writing, and files created with their final permissions: private keys 0600 and
 * directories 0700 from the moment they exist (never widened, then narrowed), public files 0644.
 * Every file is written to a temporary file in the same directory and moved into place, so a
 * reader never sees half a file. Stateless and thread-safe.
 */
final class PkiFiles {
  static final String CERTIFICATE = "CERTIFICATE";
  static final String PRIVATE_KEY = "PRIVATE KEY";
  static final String CRL = "X509 CRL";

  private PkiFiles() {}

  static String pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  /** Creates {@code dir} and missing parents, each new one with permissions 0700. */
  static void createPrivateDirectories(Path dir) {
    try {
      RestrictedFiles.createDirectories(dir);
    } catch (IOException e) {
      throw io("cannot create the directory " + dir, e);
    }
  }

  /** Writes a private key as PKCS#8 PEM into a file created with permissions 0600. */
  static void writePrivateKey(Path file, PrivateKey key) {
    write(file, pem(PRIVATE_KEY, key.getEncoded()), RestrictedFiles.OWNER_ONLY);
  }

  /** Writes a public document (a certificate, a revocation list) with permissions 0644. */
  static void writePublic(Path file, String text) {
    write(file, text, RestrictedFiles.PUBLIC_READ);
  }

  private static void write(Path file, String text, String permissions) {
    try {
      RestrictedFiles.replace(file, text.getBytes(StandardCharsets.US_ASCII), permissions);
    } catch (IOException e) {
      throw io("cannot write " + file, e);
    }
  }

  /** Reads every certificate in a PEM file, leaf first. */
  static List<X509Certificate> readCertificates(Path file, String what) {
    byte[] bytes = readBytes(file, what);
    try {
      var factory = CertificateFactory.getInstance("X.509");
      var out = new ArrayList<X509Certificate>();
      for (var c : factory.generateCertificates(new ByteArrayInputStream(bytes))) out.add((X509Certificate) c);
      if (out.isEmpty()) throw invalidFile(file, what + " holds no certificate");
      return List.copyOf(out);
    } catch (CertificateException e) {
      throw invalidFile(file, what + " is not a PEM certificate (" + e.getMessage() + ")");
    }
  }

  static X509CRL readCrl(Path file) {
    byte[] bytes = readBytes(file, "the certificate revocation list");
    try {
      return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(bytes));
    } catch (CertificateException | CRLException e) {
      throw invalidFile(file, "the certificate revocation list is not a PEM X.509 CRL (" + e.getMessage() + ")");
    }
  }

  /**
   * Refuses a private key file that anyone but its owner may read, write or run, as OpenSSH does:
   * such a key may already have leaked, and starting would hide that. Skipped where the file
   * system has no POSIX permissions (Windows); there the operator protects the file with ACLs.
   *
   * @param use what the key is for, for the message ("this node's TLS key")
   * @throws InvalidRequestException with code {@code KEY_FILE_TOO_OPEN} naming the file, its
   *     permissions and the {@code chmod} to run; nothing is read from the file
   */
  static void requireOwnerOnly(Path file, String use) {
    PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
    if (view == null) return;
    Set<PosixFilePermission> permissions;
    try {
      permissions = view.readAttributes().permissions();
    } catch (NoSuchFileException e) {
      return; // reading the key says it is missing, naming the file
    } catch (IOException e) {
      throw invalidFile(file, "cannot read the permissions of " + use + " (" + e.getMessage() + ")");
    }
    Set<PosixFilePermission> open = EnumSet.noneOf(PosixFilePermission.class);
    for (PosixFilePermission p : permissions) {
      if (p.name().startsWith("GROUP_") || p.name().startsWith("OTHERS_")) open.add(p);
    }
    if (open.isEmpty()) return;
    throw new InvalidRequestException(
        "KEY_FILE_TOO_OPEN",
        file + ": " + use + " is accessible by " + (open.stream().anyMatch(p -> p.name().startsWith("OTHERS_")) ? "others" : "its group")
            + " (permissions " + PosixFilePermissions.toString(permissions) + "); a private key must be readable by its owner only."
            + " Run `chmod 600 " + file + "` and start again (and issue a new key if others may have read it)",
        Map.of("file", file.toString(), "permissions", PosixFilePermissions.toString(permissions)));
  }

  /** Reads a PKCS#8 ({@code PRIVATE KEY}) or OpenSSL ({@code EC PRIVATE KEY}) PEM key. The message never quotes the file. */
  static PrivateKey readPrivateKey(Path file) {
    String text = new String(readBytes(file, "the private key"), StandardCharsets.US_ASCII);
    try (var parser = new PEMParser(new StringReader(text))) {
      Object o = parser.readObject();
      var converter = new JcaPEMKeyConverter();
      if (o instanceof PrivateKeyInfo info) return converter.getPrivateKey(info);
      if (o instanceof PEMKeyPair pair) return converter.getKeyPair(pair).getPrivate();
      throw invalidFile(file, "holds no unencrypted PEM private key (PKCS#8 'PRIVATE KEY' expected)");
    } catch (IOException e) {
      throw invalidFile(file, "the private key cannot be read (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static byte[] readBytes(Path file, String what) {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw invalidFile(file, "missing: " + what + " was expected there");
    } catch (IOException e) {
      throw invalidFile(file, what + " cannot be read (" + e.getMessage() + ")");
    }
  }

  static InvalidRequestException invalidFile(Path file, String message) {
    return new InvalidRequestException("INVALID_TLS_MATERIAL", file + ": " + message, Map.of("file", file.toString()));
  }

  static InternalException io(String message, IOException e) {
    return new InternalException("PKI_IO_ERROR", message + " (" + e.getMessage() + ")", Map.of(), e);
  }
}
