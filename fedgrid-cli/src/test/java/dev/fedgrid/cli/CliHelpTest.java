package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Every command has help with an example, every option states its default, and usage errors exit 2. */
class CliHelpTest {
  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    var out = new ByteArrayOutputStream();
    var err = new ByteArrayOutputStream();
    int code = Main.run(new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), args);
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Every command path, such as [] (fedgrid itself), [job], [job, submit]. */
  static List<List<String>> commands() {
    var all = new ArrayList<List<String>>();
    collect(Main.commandLine(System.out, System.err), new ArrayList<>(), all);
    return all;
  }

  private static void collect(CommandLine cl, List<String> path, List<List<String>> all) {
    all.add(List.copyOf(path));
    cl.getSubcommands().forEach((name, sub) -> {
      if (name.equals("help")) return;
      var next = new ArrayList<>(path);
      next.add(name);
      collect(sub, next, all);
    });
  }

  @ParameterizedTest(name = "fedgrid {0} --help")
  @MethodSource("commands")
  void everyCommandHasHelpWithAnExample(List<String> path) {
    var args = new ArrayList<>(path);
    args.add("--help");
    Run r = run(args.toArray(String[]::new));
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("Usage: fedgrid").contains("Example");
    assertThat(r.err()).isEmpty();
  }

  @Test
  void everyOptionStatesItsDefault() {
    List<String> missing = new ArrayList<>();
    for (List<String> path : commands()) {
      CommandLine cl = Main.commandLine(System.out, System.err);
      for (String p : path) cl = cl.getSubcommands().get(p);
      CommandSpec spec = cl.getCommandSpec();
      for (OptionSpec o : spec.options()) {
        if (o.usageHelp() || o.versionHelp()) continue;
        String text = String.join(" ", o.description()).toLowerCase(Locale.ROOT);
        if (!text.contains("default") && !text.contains("required")) missing.add(spec.qualifiedName() + " " + o.longestName());
      }
    }
    assertThat(missing).as("options whose help does not state a default").isEmpty();
  }

  @Test
  void helpShowsTheResolvedGatewayDefault() {
    Run r = run("job", "list", "--help");
    assertThat(r.out()).contains("--gateway=URL").contains("https://127.0.0.1:7600").contains("FEDGRID_GATEWAY").contains("--ca=FILE").contains("FEDGRID_CA");
  }

  @Test
  void versionPrintsTheVersion() {
    Run r = run("--version");
    assertThat(r.code()).isZero();
    assertThat(r.out()).startsWith("fedgrid ").contains("Java");
  }

  @Test
  void usageErrorsExit2WithAHint() {
    Run none = run();
    assertThat(none.code()).isEqualTo(2);
    assertThat(none.err()).contains("error: missing a command").contains("see 'fedgrid --help'");

    Run typo = run("jobs", "list");
    assertThat(typo.code()).isEqualTo(2);
    assertThat(typo.err()).contains("error: Unmatched argument").contains("did you mean: job");

    Run missing = run("job", "submit", "--model", "logistic");
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).contains("--dataset").contains("see 'fedgrid job submit --help'");

    assertThat(run("job", "list", "--limit", "many").code()).isEqualTo(2);
    assertThat(run("job", "list", "--state", "sleeping").code()).isEqualTo(2);
    assertThat(run("job").code()).isEqualTo(2);
    assertThat(run("job", "show").code()).isEqualTo(2);
    assertThat(run("job", "submit", "--dataset", "x", "--model", "logistic", "--round-timeout", "soon").code()).isEqualTo(2);
  }

  @Test
  void submitOptionConflictsAreUsageErrorsFoundBeforeCallingTheGateway() {
    String offline = "http://127.0.0.1:9"; // nothing listens: the errors below come first
    Run mu = run("job", "submit", "--gateway", offline, "--dataset", "heart", "--model", "logistic", "--mu", "0.1");
    assertThat(mu.code()).isEqualTo(2);
    assertThat(mu.err()).contains("--mu applies only to --strategy fedprox");
    Run strategy = run("job", "submit", "--gateway", offline, "--dataset", "heart", "--model", "logistic", "--strategy", "fedsgd");
    assertThat(strategy.code()).isEqualTo(2);
    assertThat(strategy.err()).contains("fedavg, fedprox, fedavgm, fedadam, fedyogi, fedadagrad");
    Run lr = run("job", "submit", "--gateway", offline, "--dataset", "heart", "--model", "logistic", "--server-lr", "0.1");
    assertThat(lr.code()).isEqualTo(2);
    Run timeout = run("job", "submit", "--gateway", offline, "--dataset", "heart", "--model", "logistic", "--round-timeout", "2d");
    assertThat(timeout.code()).isEqualTo(2);
    Run optimizer = run("job", "submit", "--gateway", offline, "--dataset", "heart", "--model", "logistic", "--optimizer", "rmsprop");
    assertThat(optimizer.code()).isEqualTo(2);
    assertThat(optimizer.err()).contains("sgd or adam");
  }

  @Test
  void durationsReadTheUsualForms() {
    var c = new JobCommand.DurationConverter();
    assertThat(c.convert("300s").toSeconds()).isEqualTo(300);
    assertThat(c.convert("5m").toSeconds()).isEqualTo(300);
    assertThat(c.convert("1h").toSeconds()).isEqualTo(3600);
    assertThat(c.convert("90").toSeconds()).isEqualTo(90);
    assertThat(c.convert("PT2M").toSeconds()).isEqualTo(120);
  }

  @Test
  void defaultJobNamesAreValidJobNames() {
    assertThat(JobCommand.Submit.defaultName("heart", "mlp:64,32")).isEqualTo("heart mlp:64-32");
    assertThat(JobCommand.Submit.defaultName("heart", "@/tmp/x.json")).isEqualTo("heart custom model");
  }
}
