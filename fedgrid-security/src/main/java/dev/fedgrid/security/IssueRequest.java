package dev.fedgrid.security;

import dev.fedgrid.api.InvalidRequestException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What to put in a certificate the {@link ProjectCa} issues. Checked when built; immutable.
 *
 * @param role what the certificate is for
 * @param name the subject's common name: a gateway, node or user name of 1 to 64 characters from
 *     {@code [A-Za-z0-9._-]}, starting with a letter or digit
 * @param dnsNames DNS subject alternative names (gateways only; default {@code localhost})
 * @param ipAddresses IP subject alternative names as literals (gateways only; default {@code
 *     127.0.0.1})
 * @param validity how long the certificate is valid (default 365 days; at most the CA's remaining
 *     lifetime, which {@link ProjectCa#issue} checks)
 */
public record IssueRequest(CertificateRole role, String name, List<String> dnsNames, List<String> ipAddresses, Duration validity) {
  /** Default validity of a gateway, node or user certificate: one year. */
  public static final Duration DEFAULT_VALIDITY = Duration.ofDays(365);

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Pattern DNS = Pattern.compile("(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*");

  public IssueRequest {
    Objects.requireNonNull(role, "role");
    if (name == null || !NAME.matcher(name).matches()) {
      throw invalid("a " + role.label() + " name has 1 to 64 characters from A-Z a-z 0-9 . _ - and starts with a letter or digit, got '" + name + "'");
    }
    dnsNames = List.copyOf(dnsNames);
    ipAddresses = List.copyOf(ipAddresses);
    if (!role.serverAuth() && (!dnsNames.isEmpty() || !ipAddresses.isEmpty())) {
      throw invalid("only gateway and custodian certificates carry DNS names and IP addresses; leave out --dns and --ip for a " + role.label());
    }
    for (String d : dnsNames) {
      if (d.length() > 253 || !DNS.matcher(d).matches()) throw invalid("'" + d + "' is not a DNS name (such as gateway.example.org)");
    }
    for (String ip : ipAddresses) {
      try {
        InetAddress.ofLiteral(ip); // parses only; never looks a name up
      } catch (IllegalArgumentException | NullPointerException e) {
        throw invalid("'" + ip + "' is not an IP address (such as 10.0.0.5 or ::1)");
      }
    }
    Objects.requireNonNull(validity, "validity");
    if (validity.isNegative() || validity.isZero()) throw invalid("a certificate's validity must be positive, got " + validity);
  }

  /** A request with the defaults: for a gateway, SANs {@code localhost} and {@code 127.0.0.1}; one year. */
  public static IssueRequest of(CertificateRole role, String name) {
    return role.serverAuth()
        ? new IssueRequest(role, name, List.of("localhost"), List.of("127.0.0.1"), DEFAULT_VALIDITY)
        : new IssueRequest(role, name, List.of(), List.of(), DEFAULT_VALIDITY);
  }

  /** This request with these DNS names instead. */
  public IssueRequest withDnsNames(List<String> names) {
    return new IssueRequest(role, name, names, ipAddresses, validity);
  }

  /** This request with these IP addresses instead. */
  public IssueRequest withIpAddresses(List<String> addresses) {
    return new IssueRequest(role, name, dnsNames, addresses, validity);
  }

  /** This request with this validity instead. */
  public IssueRequest withValidity(Duration validity) {
    return new IssueRequest(role, name, dnsNames, ipAddresses, validity);
  }

  private static InvalidRequestException invalid(String message) {
    return new InvalidRequestException("INVALID_CERTIFICATE_REQUEST", message, Map.of());
  }
}
