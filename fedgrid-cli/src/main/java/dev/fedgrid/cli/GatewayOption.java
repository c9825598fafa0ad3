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

  FedGridClient client() {
    return FedGridClient.builder().baseUri(url).build();
  }
}
