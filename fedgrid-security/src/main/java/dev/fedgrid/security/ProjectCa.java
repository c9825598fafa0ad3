package dev.fedgrid.security;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NotFoundException;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CRLConverter;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The project's certificate authority: it issues certificates to gateways, nodes and users, and
 * revokes them through a signed certificate revocation list (CRL). Keys are EC P-256 and
 * certificates are signed with SHA256withECDSA, which the JDK, BoringSSL (gRPC's Netty) and
 * Helidon all accept.
 *
 * <pre>{@code
 * ProjectCa ca = ProjectCa.create(Path.of("pki"), "Acme FedGrid CA", ProjectCa.DEFAULT_VALIDITY, InstantSource.system());
 * IssuedCertificate gw = ca.issue(IssueRequest.of(CertificateRole.GATEWAY, "gw-1").withDnsNames(List.of("gw.acme.org")));
 * ca.issue(IssueRequest.of(CertificateRole.NODE, "hospital-a"));
 * ca.revoke("hospital-a");
 * }</pre>
 *
 * <p>The directory it keeps, readable only by its owner:
 *
 * <pre>
 * ca.pem, ca-key.pem (0600), crl.pem      the CA certificate, its key and the current CRL
 * issued/SERIAL.pem                       every certificate ever issued (what list and revoke read)
 * ROLE/NAME/cert.pem, key.pem (0600),     one directory per gateway, node or user: what
 *           ca.pem, crl.pem               --tls-dir takes (see {@link TlsMaterial#load})
 * </pre>
 *
 * <p>Each certificate is signed by the CA alone, so adding a node never touches the others' files.
 * Serial numbers are 128 random bits. Issued certificates start one minute in the past, to
 * tolerate clocks slightly behind. Private keys are written once, to files created with
 * permissions 0600, and never logged or printed.
 *
 * <p>Thread-safe within one process (methods are synchronized); two processes changing one
 * directory at once may lose a revocation, so run one {@code fedgrid pki} at a time.
 */
public final class ProjectCa {
  /** Default validity of the CA certificate: ten years. */
  public static final Duration DEFAULT_VALIDITY = Duration.ofDays(3650);
  /** Default common name of a new CA. */
  public static final String DEFAULT_NAME = "FedGrid project CA";

  static final String CA_CERT = "ca.pem";
  static final String CA_KEY = "ca-key.pem";
  static final String CRL_FILE = "crl.pem";
  static final String CERT_FILE = "cert.pem";
  static final String KEY_FILE = "key.pem";
  private static final String ISSUED = "issued";
  private static final String SIGNATURE = "SHA256withECDSA";
  private static final Duration BACKDATE = Duration.ofMinutes(1);

  private final Path dir;
  private final X509Certificate cert;
  private final PrivateKey key;
  private final InstantSource clock;
  private final SecureRandom random = new SecureRandom();

  private ProjectCa(Path dir, X509Certificate cert, PrivateKey key, InstantSource clock) {
    this.dir = dir;
    this.cert = cert;
    this.key = key;
    this.clock = clock;
  }

  /** {@code ~/.fedgrid/pki}. */
  public static Path defaultDirectory() {
    return Path.of(System.getProperty("user.home"), ".fedgrid", "pki");
  }

  /**
   * Creates a new CA in {@code dir}: a key pair, a self-signed CA certificate and an empty CRL.
   *
   * @param name the CA's common name (default {@link #DEFAULT_NAME})
   * @param validity how long the CA certificate is valid (default {@link #DEFAULT_VALIDITY}); every
   *     certificate it issues must expire before it does
   * @throws ConflictException with code {@code PKI_EXISTS} when {@code dir} already holds a CA
   */
  public static ProjectCa create(Path dir, String name, Duration validity, InstantSource clock) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(clock, "clock");
    if (name == null || name.isBlank() || name.length() > 64) throw new InvalidRequestException("INVALID_CERTIFICATE_REQUEST", "the CA name must have 1 to 64 characters");
    if (validity == null || validity.isNegative() || validity.isZero()) {
      throw new InvalidRequestException("INVALID_CERTIFICATE_REQUEST", "the CA's validity must be positive, got " + validity);
    }
    if (Files.exists(dir.resolve(CA_CERT)) || Files.exists(dir.resolve(CA_KEY))) {
      throw new ConflictException("PKI_EXISTS", dir + " already holds a project CA; keep using it, or choose another --dir", Map.of("dir", dir.toString()));
    }
    PkiFiles.createPrivateDirectories(dir.resolve(ISSUED));
    KeyPair pair = newKeyPair();
    Instant now = now(clock);
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "FedGrid").addRDN(BCStyle.CN, name).build();
    try {
      var ext = new JcaX509ExtensionUtils();
      var builder = new JcaX509v3CertificateBuilder(
              subject, serial(new SecureRandom()), Date.from(now.minus(BACKDATE)), Date.from(now.plus(validity)), subject, pair.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()));
      X509Certificate caCert = new JcaX509CertificateConverter().getCertificate(builder.build(signer(pair.getPrivate())));
      // the key first: a directory with ca.pem but no key would look like a CA that cannot sign
      PkiFiles.writePrivateKey(dir.resolve(CA_KEY), pair.getPrivate());
      PkiFiles.writePublic(dir.resolve(CA_CERT), PkiFiles.pem(PkiFiles.CERTIFICATE, caCert.getEncoded()));
      var ca = new ProjectCa(dir, caCert, pair.getPrivate(), clock);
      ca.writeCrl(List.of(), null);
      return ca;
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new InternalException("PKI_ERROR", "cannot create the CA certificate (" + e.getMessage() + ")", Map.of(), e);
    }
  }

  /**
   * Opens the CA in {@code dir}.
   *
   * @throws NotFoundException with code {@code PKI_NOT_FOUND} when there is none
   * @throws InvalidRequestException with code {@code INVALID_TLS_MATERIAL} when a file is damaged,
   *     or {@code KEY_FILE_TOO_OPEN} when {@code ca-key.pem} is accessible by anyone but its owner
   */
  public static ProjectCa open(Path dir, InstantSource clock) {
    Objects.requireNonNull(clock, "clock");
    if (!Files.exists(dir.resolve(CA_CERT))) {
      throw new NotFoundException("PKI_NOT_FOUND", "no project CA in " + dir + "; create one with 'fedgrid pki init --dir " + dir + "'", Map.of("dir", dir.toString()));
    }
    PkiFiles.requireOwnerOnly(dir.resolve(CA_KEY), "the project CA's private key");
    X509Certificate cert = PkiFiles.readCertificates(dir.resolve(CA_CERT), "the CA certificate").getFirst();
    PrivateKey key = PkiFiles.readPrivateKey(dir.resolve(CA_KEY));
    return new ProjectCa(dir, cert, key, clock);
  }

  /** The directory this CA lives in. */
  public Path directory() {
    return dir;
  }

  /** The CA certificate: the trust anchor of every gateway and node of the project. */
  public X509Certificate certificate() {
    return cert;
  }

  /**
   * Issues a certificate and writes it, a new private key, the CA certificate and the current CRL
   * into {@code ROLE/NAME/} (see the class comment).
   *
   * @throws ConflictException with code {@code CERTIFICATE_EXISTS} when that name already holds a
   *     valid, unrevoked certificate of that role (revoke it first to replace it)
   * @throws InvalidRequestException with code {@code INVALID_CERTIFICATE_REQUEST} when it would
   *     outlive the CA
   */
  public synchronized IssuedCertificate issue(IssueRequest request) {
    Objects.requireNonNull(request, "request");
    Instant now = now(clock);
    for (IssuedCertificate c : list()) {
      if (c.role() == request.role() && c.name().equals(request.name()) && c.validAt(now)) {
        throw new ConflictException(
            "CERTIFICATE_EXISTS",
            request.role().label() + " '" + request.name() + "' already has certificate " + c.serialHex() + " valid until " + c.notAfter()
                + "; revoke it first ('fedgrid pki revoke " + c.serialHex() + "') to issue a new one",
            Map.of("serial", c.serialHex()));
      }
    }
    Instant notAfter = now.plus(request.validity());
    if (notAfter.isAfter(cert.getNotAfter().toInstant())) {
      throw new InvalidRequestException(
          "INVALID_CERTIFICATE_REQUEST",
          "a certificate valid until " + notAfter + " would outlive the CA (valid until " + cert.getNotAfter().toInstant() + "); ask for fewer --days");
    }
    KeyPair pair = newKeyPair();
    BigInteger serial = serial(random);
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.O, "FedGrid")
        .addRDN(BCStyle.OU, request.role().label())
        .addRDN(BCStyle.CN, request.name())
        .build();
    X509Certificate issued;
    try {
      var ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
              cert, serial, Date.from(now.minus(BACKDATE)), Date.from(notAfter), toX500Principal(subject), pair.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
          .addExtension(Extension.extendedKeyUsage, false, request.role().serverAuth()
              ? new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth})
              : new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pair.getPublic()))
          .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(cert));
      var names = new ArrayList<GeneralName>();
      for (String d : request.dnsNames()) names.add(new GeneralName(GeneralName.dNSName, d));
      for (String ip : request.ipAddresses()) names.add(new GeneralName(GeneralName.iPAddress, ip));
      if (!names.isEmpty()) builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
      issued = new JcaX509CertificateConverter().getCertificate(builder.build(signer(key)));
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new InternalException("PKI_ERROR", "cannot issue the certificate (" + e.getMessage() + ")", Map.of(), e);
    }
    String certPem = pem(issued);
    PkiFiles.writePublic(dir.resolve(ISSUED).resolve(serial.toString(16) + ".pem"), certPem);
    Path target = entityDirectory(request.role(), request.name());
    PkiFiles.createPrivateDirectories(target);
    PkiFiles.writePrivateKey(target.resolve(KEY_FILE), pair.getPrivate());
    PkiFiles.writePublic(target.resolve(CERT_FILE), certPem);
    PkiFiles.writePublic(target.resolve(CA_CERT), pem(cert));
    PkiFiles.writePublic(target.resolve(CRL_FILE), readCrlText());
    return describe(issued, Set.of());
  }

  /**
   * Revokes a certificate named by its serial (hexadecimal, as {@link #list()} shows it) or by the
   * name of its subject, and publishes a new CRL (at the top of the directory and into every
   * issued directory).
   *
   * @throws NotFoundException with code {@code CERTIFICATE_NOT_FOUND} when nothing matches
   * @throws ConflictException with code {@code CERTIFICATE_AMBIGUOUS} when a name matches several
   *     unrevoked certificates, or {@code CERTIFICATE_REVOKED} when it is revoked already
   */
  public synchronized IssuedCertificate revoke(String serialOrName) {
    Objects.requireNonNull(serialOrName, "serialOrName");
    String s = serialOrName.trim().toLowerCase(Locale.ROOT);
    if (s.startsWith("0x")) s = s.substring(2);
    List<IssuedCertificate> all = list();
    for (IssuedCertificate c : all) {
      if (c.serialHex().equals(s)) return revoke(c);
    }
    List<IssuedCertificate> named = all.stream().filter(c -> c.name().equals(serialOrName.trim())).toList();
    List<IssuedCertificate> live = named.stream().filter(c -> !c.revoked()).toList();
    if (named.isEmpty()) {
      throw new NotFoundException("CERTIFICATE_NOT_FOUND", "no certificate has serial or name '" + serialOrName + "'; see 'fedgrid pki list'", Map.of());
    }
    if (live.isEmpty()) {
      throw new ConflictException("CERTIFICATE_REVOKED", "every certificate named '" + serialOrName + "' is revoked already", Map.of());
    }
    if (live.size() > 1) {
      throw new ConflictException(
          "CERTIFICATE_AMBIGUOUS",
          "'" + serialOrName + "' names " + live.size() + " certificates (" + live.stream().map(c -> c.role().label() + " " + c.serialHex()).collect(Collectors.joining(", "))
              + "); revoke one by its serial",
          Map.of());
    }
    return revoke(live.getFirst());
  }

  private IssuedCertificate revoke(IssuedCertificate c) {
    if (c.revoked()) throw new ConflictException("CERTIFICATE_REVOKED", "certificate " + c.serialHex() + " (" + c.role().label() + " " + c.name() + ") is revoked already", Map.of());
    writeCrl(List.of(c.serial()), crl());
    String crlText = readCrlText();
    for (Path entity : list().stream().map(IssuedCertificate::directory).distinct().toList()) {
      if (Files.isDirectory(entity)) PkiFiles.writePublic(entity.resolve(CRL_FILE), crlText);
    }
    return new IssuedCertificate(c.role(), c.name(), c.serial(), c.notBefore(), c.notAfter(), true, c.directory());
  }

  /** Every certificate issued, revoked or not, oldest first. */
  public synchronized List<IssuedCertificate> list() {
    Set<BigInteger> revoked = revokedSerials(crl());
    var out = new ArrayList<IssuedCertificate>();
    Path issued = dir.resolve(ISSUED);
    if (!Files.isDirectory(issued)) return List.of();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(issued, "*.pem")) {
      for (Path f : files) out.add(describe(PkiFiles.readCertificates(f, "an issued certificate").getFirst(), revoked));
    } catch (IOException e) {
      throw PkiFiles.io("cannot list " + issued, e);
    }
    out.sort(Comparator.comparing(IssuedCertificate::notBefore).thenComparing(IssuedCertificate::serial));
    return List.copyOf(out);
  }

  /** The current certificate revocation list. */
  public X509CRL crl() {
    return PkiFiles.readCrl(dir.resolve(CRL_FILE));
  }

  static Set<BigInteger> revokedSerials(X509CRL crl) {
    Set<? extends X509CRLEntry> entries = crl.getRevokedCertificates();
    return entries == null ? Set.of() : entries.stream().map(X509CRLEntry::getSerialNumber).collect(Collectors.toUnmodifiableSet());
  }

  private Path entityDirectory(CertificateRole role, String name) {
    return dir.resolve(role.label()).resolve(name);
  }

  private IssuedCertificate describe(X509Certificate c, Set<BigInteger> revoked) {
    X500Name subject = X500Name.getInstance(c.getSubjectX500Principal().getEncoded());
    CertificateRole role = CertificateRole.ofLabel(rdn(subject, BCStyle.OU));
    String name = rdn(subject, BCStyle.CN);
    if (role == null || name == null) {
      throw new InvalidRequestException("INVALID_TLS_MATERIAL", "issued certificate " + c.getSerialNumber().toString(16) + " has no FedGrid role or name: " + c.getSubjectX500Principal());
    }
    return new IssuedCertificate(
        role, name, c.getSerialNumber(), c.getNotBefore().toInstant(), c.getNotAfter().toInstant(), revoked.contains(c.getSerialNumber()), entityDirectory(role, name));
  }

  private static String rdn(X500Name name, org.bouncycastle.asn1.ASN1ObjectIdentifier type) {
    var rdns = name.getRDNs(type);
    if (rdns.length == 0) return null;
    ASN1Encodable v = rdns[0].getFirst().getValue();
    return v.toString();
  }

  /** Signs a CRL holding the entries of {@code previous} plus {@code newlyRevoked}, numbered one above it. */
  private void writeCrl(List<BigInteger> newlyRevoked, X509CRL previous) {
    Instant now = now(clock);
    try {
      var builder = new X509v2CRLBuilder(X500Name.getInstance(cert.getSubjectX500Principal().getEncoded()), Date.from(now));
      builder.setNextUpdate(cert.getNotAfter()); // revocations are pushed by 'fedgrid pki revoke', not polled
      BigInteger number = BigInteger.ONE;
      if (previous != null) {
        var holder = new X509CRLHolder(previous.getEncoded());
        builder.addCRL(holder);
        var ext = holder.getExtension(Extension.cRLNumber);
        if (ext != null) number = ASN1Integer.getInstance(ext.getParsedValue()).getValue().add(BigInteger.ONE);
      }
      for (BigInteger serial : newlyRevoked) builder.addCRLEntry(serial, Date.from(now), CRLReason.unspecified);
      builder.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
      builder.addExtension(Extension.authorityKeyIdentifier, false, new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(cert));
      X509CRL crl = new JcaX509CRLConverter().getCRL(builder.build(signer(key)));
      PkiFiles.writePublic(dir.resolve(CRL_FILE), PkiFiles.pem(PkiFiles.CRL, crl.getEncoded()));
    } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
      throw new InternalException("PKI_ERROR", "cannot sign the revocation list (" + e.getMessage() + ")", Map.of(), e);
    }
  }

  private String readCrlText() {
    try {
      return Files.readString(dir.resolve(CRL_FILE));
    } catch (IOException e) {
      throw PkiFiles.io("cannot read " + dir.resolve(CRL_FILE), e);
    }
  }

  private static String pem(X509Certificate c) {
    try {
      return PkiFiles.pem(PkiFiles.CERTIFICATE, c.getEncoded());
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new InternalException("PKI_ERROR", "cannot encode a certificate", Map.of(), e);
    }
  }

  private static X500Principal toX500Principal(X500Name name) throws IOException {
    return new X500Principal(name.getEncoded());
  }

  private static ContentSigner signer(PrivateKey key) throws OperatorCreationException {
    return new JcaContentSignerBuilder(SIGNATURE).build(key);
  }

  private static KeyPair newKeyPair() {
    try {
      var generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new InternalException("PKI_ERROR", "this JDK cannot generate EC P-256 keys (" + e.getMessage() + ")", Map.of(), e);
    }
  }

  /** A positive 128-bit random serial (RFC 5280 allows up to 20 octets). */
  private static BigInteger serial(SecureRandom random) {
    BigInteger s;
    do {
      s = new BigInteger(128, random);
    } while (s.signum() == 0);
    return s;
  }

  private static Instant now(InstantSource clock) {
    return clock.instant().truncatedTo(ChronoUnit.SECONDS);
  }

  @Override
  public String toString() {
    return "ProjectCa[" + cert.getSubjectX500Principal().getName() + " in " + dir + "]";
  }
}
