package dev.fedgrid.cli;

import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.client.FedGridClient;
import java.io.PrintStream;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that talks to the gateway as a logged-in user: it gets {@code --gateway}, {@code
 * --token}, a client sending the token for the call, and the process's streams. Subclasses
 * implement {@link #call(FedGridClient)} and return the exit code. When the gateway does not accept
 * the token (or none was found), the error says so and how to log in.
 */
abstract class ClientCommand implements Callable<Integer> {
  /** The codes of a 401 that a new login fixes; LOGIN_* are answers to a login itself. */
  private static final Set<String> LOGIN_NEEDED = Set.of("UNAUTHENTICATED", "TOKEN_INVALID", "TOKEN_EXPIRED", "TOKEN_REVOKED");

  @Mixin GatewayOption gateway;

  @Mixin TokenOption token;

  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Override
  public final Integer call() throws Exception {
    Optional<TokenOption.Found> found = token.resolve(gateway.key());
    try (FedGridClient client = gateway.client(found.map(TokenOption.Found::token).orElse(null))) {
      return call(client);
    } catch (UnauthenticatedException e) {
      if (!LOGIN_NEEDED.contains(e.code())) throw e;
      String url = gateway.key();
      String login = "run `fedgrid login --gateway " + url + "`";
      String message = found.isEmpty()
          ? "not logged in to " + url + ": " + login + " (or pass --token, or set " + TokenOption.VARIABLE + ")"
          : "not logged in to " + url + ": " + e.getMessage() + " (the " + found.get() + "); " + login + " for a new session, or pass another token";
      throw new UnauthenticatedException(e.code(), message, e.details());
    }
  }

  abstract int call(FedGridClient client) throws Exception;

  PrintStream out() {
    return FedGridCommand.of(spec).out();
  }

  PrintStream err() {
    return FedGridCommand.of(spec).err();
  }

  /** Prints {@code value} as indented API JSON on stdout. */
  void printJson(Object value) {
    out().println(CliJson.pretty(value));
  }
}
