package dev.fedgrid.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The top-level {@code fedgrid} command. Its {@code subcommands} list is the place to add a new
 * noun: a class annotated with {@code @Command(name = "...")} appended there becomes {@code fedgrid
 * <name>}.
 *
 * <p>Holds the process's stdin, stdout and stderr; subcommands reach them with {@link #of(CommandSpec)}.
 */
@Command(
    name = "fedgrid",
    mixinStandardHelpOptions = true,
    versionProvider = FedGridCommand.Version.class,
    description = "A federated machine-learning grid: train models where the data lives.",
    subcommands = {
      GatewayCommand.class,
      NodeCommand.class,
      DatasetCommand.class,
      JobCommand.class,
      ModelCommand.class,
      PkiCommand.class,
      CustodianCommand.class,
      SessionCommands.Login.class,
      SessionCommands.Logout.class,
      SessionCommands.Whoami.class,
      UserCommand.class,
      RoleCommand.class,
      TokenCommand.class,
      BudgetCommand.class,
      RequestCommand.class,
      AuditCommand.class,
      MarketCommands.OfferCommand.class,
      MarketCommands.DemandCommand.class,
      MarketCommands.AgreementCommand.class,
      MarketCommands.AllocationCommand.class,
      MarketCommands.DebitNoteCommand.class,
      MarketCommands.InvoiceCommand.class,
      MarketCommands.LedgerCommand.class,
      ActivityCommand.class,
      SimCommand.class,
      DemoCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "Example:",
      "  fedgrid login --user ana",
      "  fedgrid dataset list",
      "  fedgrid job submit --dataset heart --model logistic --rounds 10 --watch",
      "",
      "Exit codes: 0 success, 1 failure, 2 usage error."
    })
public final class FedGridCommand implements Runnable {
  private final InputStream in;
  private final PrintStream out;
  private final PrintStream err;

  @Spec CommandSpec spec;

  public FedGridCommand(PrintStream out, PrintStream err) {
    this(System.in, out, err);
  }

  public FedGridCommand(InputStream in, PrintStream out, PrintStream err) {
    this.in = in;
    this.out = out;
    this.err = err;
  }

  /** Standard input, for secrets piped in ({@code --password-stdin}). */
  public InputStream in() {
    return in;
  }

  /** Standard output, for results. */
  public PrintStream out() {
    return out;
  }

  /** Standard error, for progress and messages to people. */
  public PrintStream err() {
    return err;
  }

  /** The root command of the tree {@code spec} belongs to. */
  public static FedGridCommand of(CommandSpec spec) {
    return (FedGridCommand) spec.root().userObject();
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing a command, for example 'fedgrid job list'");
  }

  /** The version from the jar's manifest or Maven metadata, or "dev" in a source checkout. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"fedgrid " + version(), "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
    }

    static String version() {
      String v = Version.class.getPackage().getImplementationVersion();
      if (v != null) return v;
      try (InputStream in = Version.class.getResourceAsStream("/META-INF/maven/dev.fedgrid/fedgrid-cli/pom.properties")) {
        if (in != null) {
          var p = new Properties();
          p.load(in);
          return p.getProperty("version", "dev");
        }
      } catch (IOException e) {
        // fall through
      }
      return "dev";
    }
  }
}
