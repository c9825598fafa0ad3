package dev.fedgrid.cli;

import dev.fedgrid.client.FedGridClient;
import picocli.CommandLine.Option;

/** The {@code --gateway} option of every command that talks to the control API. */
final class GatewayOption {
  @Option(
      names = "--gateway",
      paramLabel = "URL",
      defaultValue = "${FEDGRID_GATEWAY:-http://127.0.0.1:7600}",
      description = "Control API URL, or set FEDGRID_GATEWAY. Default: ${DEFAULT-VALUE}.")
  String url;

  /** A client of the gateway without a token: for health and login. */
  FedGridClient client() {
    return client(null);
  }

  /** A client of the gateway sending {@code token} (none when null). */
  FedGridClient client(String token) {
    return FedGridClient.builder().baseUri(url).token(token).build();
  }

  /** The URL as credentials are stored under it. */
  String key() {
    return Credentials.key(url);
  }
}
