package dev.fedgrid.cli;

import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The {@code --token} option of every command that needs to be logged in, and where a token comes
 * from when it is not given: {@code --token}, then {@code FEDGRID_TOKEN}, then the session {@code
 * fedgrid login} stored for the gateway.
 */
final class TokenOption {
  /** The variable holding a token. */
  static final String VARIABLE = "FEDGRID_TOKEN";

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description = {"API token to send (fgt_...); prefer FEDGRID_TOKEN, which stays out of the shell history.",
        "Default: FEDGRID_TOKEN, else the session `fedgrid login` stored for the gateway."})
  String token;

  /** A token and where it came from, for messages. */
  record Found(String token, String source) {
    @Override
    public String toString() {
      return "token from " + source;
    }
  }

  /** The token to send to {@code gateway}, if any. */
  Optional<Found> resolve(String gateway) {
    if (token != null && !token.isBlank()) return Optional.of(new Found(token.strip(), "--token"));
    String variable = Credentials.variable(VARIABLE);
    if (variable != null) return Optional.of(new Found(variable, VARIABLE));
    Credentials stored = Credentials.ofUser();
    return stored.token(gateway).map(t -> new Found(t, stored.file().toString()));
  }
}
