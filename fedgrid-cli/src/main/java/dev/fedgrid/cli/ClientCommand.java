package dev.fedgrid.cli;

import dev.fedgrid.client.FedGridClient;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that talks to the gateway: it gets {@code --gateway}, a client for the call and the
 * process's streams. Subclasses implement {@link #call(FedGridClient)} and return the exit code.
 */
abstract class ClientCommand implements Callable<Integer> {
  @Mixin GatewayOption gateway;

  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Override
  public final Integer call() throws Exception {
    try (FedGridClient client = gateway.client()) {
      return call(client);
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
