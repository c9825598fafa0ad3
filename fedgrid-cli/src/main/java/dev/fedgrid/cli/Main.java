package dev.fedgrid.cli;

import dev.fedgrid.api.FedGridException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code fedgrid} command's entry point.
 *
 * <p>Exit codes: 0 success, 1 failure (the error on stderr as {@code error: <message> (<CODE>)}),
 * 2 usage error (an unknown option, a missing argument, a value of the wrong type). Results go to
 * stdout, progress and errors to stderr.
 */
public final class Main {
  /** Exit code of a successful command. */
  public static final int OK = 0;
  /** Exit code of a command that failed. */
  public static final int FAILURE = 1;
  /** Exit code of a command line that could not be understood. */
  public static final int USAGE = 2;

  private Main() {}

  public static void main(String[] args) {
    // Libraries that log through java.util.logging (Helidon) go through SLF4J like everything else.
    org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
    org.slf4j.bridge.SLF4JBridgeHandler.install();
    System.exit(run(System.out, System.err, args));
  }

  /** Runs one command line with the given streams; returns the exit code. */
  public static int run(PrintStream out, PrintStream err, String... args) {
    return run(System.in, out, err, args);
  }

  /** Runs one command line with the given streams, standard input included; returns the exit code. */
  public static int run(InputStream in, PrintStream out, PrintStream err, String... args) {
    return commandLine(in, out, err).execute(args);
  }

  /** The configured command tree, for embedding and tests. */
  public static CommandLine commandLine(PrintStream out, PrintStream err) {
    return commandLine(System.in, out, err);
  }

  /** As {@link #commandLine(PrintStream, PrintStream)}, with standard input. */
  public static CommandLine commandLine(InputStream in, PrintStream out, PrintStream err) {
    var cli = new CommandLine(new FedGridCommand(in, out, err));
    cli.setOut(new PrintWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), true));
    cli.setErr(new PrintWriter(new java.io.OutputStreamWriter(err, StandardCharsets.UTF_8), true));
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setUsageHelpWidth(100);
    cli.setUsageHelpAutoWidth(true);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      out.flush();
      if (e instanceof FedGridException f) {
        err.println("error: " + f.getMessage() + " (" + f.code() + ")");
        if (f.code().equals("GATEWAY_UNREACHABLE")) {
          err.println("hint: when the gateway runs elsewhere, pass --gateway URL or set FEDGRID_GATEWAY");
        }
      } else if (e instanceof ParameterException p) {
        return usageError(p, err);
      } else {
        err.println("error: unexpected failure: " + e);
        e.printStackTrace(err);
      }
      err.flush();
      return FAILURE;
    });
    cli.setParameterExceptionHandler((e, args) -> usageError(e, err));
    return cli;
  }

  private static int usageError(ParameterException e, PrintStream err) {
    err.println("error: " + e.getMessage());
    if (e instanceof UnmatchedArgumentException u) {
      var suggestions = u.getSuggestions();
      if (!suggestions.isEmpty()) err.println("did you mean: " + String.join(" or ", suggestions) + "?");
    }
    err.println("see '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help'");
    err.flush();
    return USAGE;
  }
}
