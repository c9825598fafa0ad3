package dev.fedgrid.cli;

import dev.fedgrid.client.FedGridClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The {@code --gateway} and {@code --ca} options of every command that talks to the control API.
 * Over {@code https://} the gateway's certificate must come from the project CA, found in this
 * order: {@code --ca}, {@code FEDGRID_CA}, {@code ~/.fedgrid/ca.pem} (where a user puts the CA
 * file the project gave them), {@code ca.pem} of the PKI directory ({@code FEDGRID_PKI_DIR}, else
 * {@code ~/.fedgrid/pki}, where {@code fedgrid pki init} wrote it); with none of them, the JDK's
 * trust store (a gateway behind a certificate of a public CA).
 */
final class GatewayOption {
  /** The variable naming the CA file. */
  static final String CA_VARIABLE = "FEDGRID_CA";

  @Option(
      names = "--gateway",
      paramLabel = "URL",
      defaultValue = "${FEDGRID_GATEWAY:-https://127.0.0.1:7600}",
      description = "Control API URL, or set FEDGRID_GATEWAY. Default: ${DEFAULT-VALUE}.")
  String url;

  @Option(
      names = "--ca",
      paramLabel = "FILE",
      description = {"The project CA certificate (PEM) the gateway's HTTPS certificate must come from. Default: FEDGRID_CA, else",
        "~/.fedgrid/ca.pem, else ca.pem of the PKI directory (FEDGRID_PKI_DIR or ~/.fedgrid/pki) when present, else the JDK's trust store."})
  Path ca;

  /** A client of the gateway without a token: for health and login. */
  FedGridClient client() {
    return client(null);
  }

  /** A client of the gateway sending {@code token} (none when null). */
  FedGridClient client(String token) {
    FedGridClient.Builder builder = FedGridClient.builder().baseUri(url).token(token);
    if (url.strip().regionMatches(true, 0, "https:", 0, 6)) caFile().ifPresent(builder::trustCa);
    return builder.build();
  }

  /** The CA file to trust, in the order of the class comment. */
  Optional<Path> caFile() {
    if (ca != null) return Optional.of(ca);
    String variable = Credentials.variable(CA_VARIABLE);
    if (variable != null) return Optional.of(Path.of(variable));
    Path home = Path.of(System.getProperty("user.home"), ".fedgrid");
    if (Files.isRegularFile(home.resolve("ca.pem"))) return Optional.of(home.resolve("ca.pem"));
    String pki = Credentials.variable("FEDGRID_PKI_DIR");
    Path pkiCa = (pki != null ? Path.of(pki) : home.resolve("pki")).resolve("ca.pem");
    return Files.isRegularFile(pkiCa) ? Optional.of(pkiCa) : Optional.empty();
  }

  /** The URL as credentials are stored under it. */
  String key() {
    return Credentials.key(url);
  }
}
