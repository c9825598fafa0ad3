package dev.fedgrid.cli;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.api.job.ContributionReport;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.model.Layer;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.SealedArtifact;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.privacy.PrivacyMode;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.client.FedGridClient;
import dev.fedgrid.client.JobEventView;
import dev.fedgrid.client.Page;
import dev.fedgrid.core.dp.DpAccounting;
import dev.fedgrid.custodian.Custodians;
import dev.fedgrid.security.TlsMaterial;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fedgrid job submit|list|show|contributions|report|release|watch|cancel|delete}: federated training jobs. */
@Command(
    name = "job",
    description = "Submit training jobs, follow them live and manage them.",
    subcommands = {
      JobCommand.Submit.class,
      JobCommand.ListJobs.class,
      JobCommand.Show.class,
      JobCommand.Contributions.class,
      JobReportCommand.class,
      RequestCommand.JobRelease.class,
      JobCommand.Watch.class,
      JobCommand.Cancel.class,
      JobCommand.Delete.class
    },
    footer = {"", "Example:", "  fedgrid job submit --dataset heart --model mlp:64,32 --rounds 20 --watch", "  fedgrid job list --state running"})
public final class JobCommand implements Runnable {
  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing a subcommand: submit, list, show, report, release, watch, cancel or delete");
  }

  // ---- submit ----

  @Command(
      name = "submit",
      sortOptions = false,
      description = {
        "Submit a training job on one or more datasets and print its id.",
        "--model is a preset fitted to the first dataset's features and label, or a spec file:",
        "  logistic    one dense layer; its output and loss follow the label",
        "  mlp:64,32   hidden dense layers with ReLU, then the same output",
        "  cnn         two conv/pool blocks and a dense layer, for image features [c,h,w]",
        "  @spec.json  {\"layers\": [{\"type\": \"dense\", \"units\": 1}], \"loss\": \"binary_cross_entropy\"}"
      },
      footer = {
        "",
        "Example:",
        "  fedgrid job submit --dataset heart --model logistic --rounds 10 --watch",
        "  fedgrid job submit --dataset fashion-mnist --model cnn --optimizer adam --lr 0.001 \\",
        "      --strategy fedadam --server-lr 0.01 --rounds 20",
        "  fedgrid job submit --dataset heart --model logistic --rounds 20 --dp-noise 1.1 --dp-clip 1.0",
        "  fedgrid job submit --dataset heart --model logistic --rounds 20 --dp-noise 1.1 --sample-fraction 0.1 --min-nodes 5",
        "  fedgrid job submit --dataset heart --model logistic --rounds 5 --dp-noise 4 --dp-mode local --strategy fedmedian",
        "  fedgrid job submit --dataset heart --model @secret-model.json --confidential --custodian-tls-dir ~/.fedgrid/pki/user/ana \\",
        "      --custodians https://c1.example.org:7700,https://c2.example.org:7700,https://c3.example.org:7700 --custodian-threshold 2"
      })
  static final class Submit extends ClientCommand {
    @Option(names = "--dataset", required = true, paramLabel = "NAME", split = ",",
        description = "A dataset name or id to train on; repeat or separate with commas for several. Every online node holding one takes part. Required.")
    List<String> datasets;

    @Mixin JobOptions options;

    @Option(names = "--name", paramLabel = "NAME", description = "A label for people. Default: the first dataset's name and the model.")
    String name;

    @Option(names = "--byzantine", paramLabel = "F",
        description = "Faulty nodes to tolerate with krum, multikrum or bulyan; rounds then need more than 2F+2 updates (4F+3 for bulyan). Default: 0.")
    Integer byzantine;

    @Option(names = "--market",
        description = "Declare a market job: its tasks go only to nodes with an approved agreement for it, so it waits from submission, even before its demand is published (`fedgrid demand publish`). Default: false (a job becomes a market job once a demand is published for it).")
    boolean market;

    @Option(names = "--confidential",
        description = {"Seal the model spec for the nodes: encrypt it (AES-256-GCM) under a fresh data key, split the key among --custodians",
          "(any --custodian-threshold of them rebuild it), and send the gateway only the ciphertext and the model's outline (layers",
          "that shape the parameters; activations and dropout hidden). Makes the job a market job: custodians give key shares only",
          "to nodes with an APPROVED agreement for it. Default: false."})
    boolean confidential;

    @Option(names = "--custodians", paramLabel = "URL", split = ",",
        description = "With --confidential, required: the key custodians' HTTPS URLs ('fedgrid custodian start'), at least 2, in share order.")
    List<String> custodians;

    @Option(names = "--custodian-threshold", paramLabel = "K",
        description = "With --confidential: how many custodians together rebuild the key, 2 to their number. Default: a majority of them.")
    Integer custodianThreshold;

    @Option(names = "--custodian-tls-dir", paramLabel = "DIR", defaultValue = "${env:FEDGRID_USER_TLS_DIR}",
        description = {"With --confidential, required: your user certificate's directory ('fedgrid pki issue user NAME'), presented to the",
          "custodians to deposit the shares. Env FEDGRID_USER_TLS_DIR. Default: none."})
    Path custodianTlsDir;

    @Option(names = "--watch", description = "After submitting, follow the job as `fedgrid job watch` does. Default: false.")
    boolean watch;

    @Option(names = "--json", description = "Print the submitted job as the API's JSON instead of its id. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      if (confidential) checkConfidentialOptions();
      else if (custodians != null || custodianThreshold != null) {
        throw new ParameterException(spec.commandLine(), "--custodians and --custodian-threshold go with --confidential");
      }
      JobSpec spec = spec(client);
      Job job = confidential ? submitConfidential(client, spec) : client.submitJob(spec);
      if (json) printJson(job);
      else out().println(job.id());
      if (!watch) {
        err().println("submitted job " + job.id() + " (" + job.state().wireName() + "); follow it with: fedgrid job watch " + job.id());
        return Main.OK;
      }
      return JobCommand.watch(client, job.id(), out(), err(), false);
    }

    /** The job spec; usage errors are found before the gateway is asked for the first dataset. */
    JobSpec spec(FedGridClient client) {
      List<String> names = datasets.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
      if (names.isEmpty()) throw new ParameterException(spec.commandLine(), "--dataset needs at least one dataset name or id");
      String label = name != null ? name : defaultName(names.getFirst(), options.model);
      JobSpec built = options.spec(spec.commandLine(), label, names, byzantine, options.sampleFraction, () -> DatasetCommand.resolveAny(client, names.getFirst()));
      return market ? built.withMarket(true) : built;
    }

    /**
     * Seals the model, deposits the key's shares, submits the job with only the sealed model and its
     * outline, then binds the artifact to the job at every custodian. A job whose artifact cannot be
     * bound is cancelled, since no node could open it.
     */
    private Job submitConfidential(FedGridClient client, JobSpec plain) {
      List<String> urls = custodians.stream().map(String::strip).toList();
      int k = threshold(urls.size());
      SSLContext ssl = TlsMaterial.load(custodianTlsDir, InstantSource.system()).sslContext();
      byte[] model = CliJson.line(plain.model()).getBytes(StandardCharsets.UTF_8);
      var sealed = Custodians.sealAndDeposit(model, urls, k, ssl, CUSTODIAN_TIMEOUT, new SecureRandom());
      Arrays.fill(model, (byte) 0);
      err().println("sealed the model as " + sealed.artifactId() + "; its key is split " + k + "-of-" + urls.size() + " among the custodians");
      Job job = client.submitJob(plain.withConfidential(plain.model().outline(), sealed));
      try {
        Custodians.bind(sealed, job.id(), ssl, CUSTODIAN_TIMEOUT);
      } catch (FedGridException e) {
        client.cancelJob(job.id());
        throw new ConflictException("CONFIDENTIAL_BIND_FAILED",
            "job " + job.id() + " was cancelled: its sealed model could not be bound to it at every custodian (" + e.getMessage() + "); submit it again",
            Map.of("job", job.id().value()));
      }
      return job;
    }

    /** Usage errors of the confidential options, found before anything is sealed or sent. */
    private void checkConfidentialOptions() {
      if (custodians == null || custodians.size() < 2) {
        throw new ParameterException(spec.commandLine(), "--confidential needs --custodians with at least 2 HTTPS URLs, such as https://c1.example.org:7700,https://c2.example.org:7700");
      }
      if (custodianTlsDir == null) {
        throw new ParameterException(spec.commandLine(), "--confidential needs --custodian-tls-dir (or FEDGRID_USER_TLS_DIR): your user certificate from 'fedgrid pki issue user NAME'");
      }
      int n = custodians.size();
      int k = threshold(n);
      if (k < 2 || k > n) throw new ParameterException(spec.commandLine(), "--custodian-threshold must be from 2 to the number of --custodians (" + n + "), got " + k);
      for (String url : custodians) {
        try {
          SealedArtifact.checkUrl(url);
        } catch (FedGridException e) {
          throw new ParameterException(spec.commandLine(), "--custodians: " + e.getMessage());
        }
      }
    }

    private int threshold(int custodianCount) {
      return custodianThreshold != null ? custodianThreshold : custodianCount / 2 + 1;
    }

    private static final Duration CUSTODIAN_TIMEOUT = Duration.ofSeconds(10);

    /** {@code heart mlp:64-32}: letters, digits and {@code _.:/()-} only, as job names allow. */
    static String defaultName(String dataset, String model) {
      String raw = dataset + " " + (model.startsWith("@") ? "custom model" : model.strip());
      String clean = raw.replaceAll("[^\\p{L}\\p{N} _.:/()-]", "-");
      return clean.length() > 128 ? clean.substring(0, 128) : clean;
    }
  }

  /** Reads durations such as {@code 300s}, {@code 5m}, {@code 1h}, {@code 90} (seconds) or {@code PT5M}. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern SIMPLE = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");

    @Override
    public Duration convert(String value) {
      String v = value.strip().toLowerCase(Locale.ROOT);
      Matcher m = SIMPLE.matcher(v);
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
          case "ms" -> Duration.ofMillis(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofSeconds(n);
        };
      }
      try {
        return Duration.parse(value.strip().toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a duration; use for example 300s, 5m or 1h");
      }
    }
  }

  // ---- list ----

  @Command(
      name = "list",
      description = "List jobs, newest first.",
      footer = {"", "Example:", "  fedgrid job list --state running,queued --limit 20"})
  static final class ListJobs extends ClientCommand {
    @Option(names = "--state", paramLabel = "STATE", split = ",",
        description = "Only jobs in these states (queued, running, completed, failed, cancelled), comma-separated. Default: all.")
    List<JobState> states;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "Jobs per page, 1 to 500. Default: ${DEFAULT-VALUE}.")
    int limit;

    @Option(names = "--cursor", paramLabel = "CURSOR", description = "Continue after a previous page (its cursor is printed at its end). Default: the first page.")
    String cursor;

    @Option(names = "--json", description = "Print the API's JSON page ({\"items\": [...], \"nextCursor\": ...}). Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      Page<Job> page = client.jobs(states, cursor, limit);
      if (json) {
        printJson(page);
        return Main.OK;
      }
      if (page.items().isEmpty()) {
        err().println(cursor == null ? "no jobs yet; submit one with `fedgrid job submit`" : "no more jobs");
        return Main.OK;
      }
      var table = new Table("ID", "NAME", "STATE", "ROUNDS", "METRICS", "CREATED");
      for (Job j : page.items()) {
        table.row(j.id(), j.spec().name(), j.state().wireName(), j.completedRounds() + "/" + j.spec().rounds(), Format.metrics(j.metrics()), Format.instant(j.createdAt()));
      }
      table.print(out());
      page.next().ifPresent(next -> err().println("more jobs: fedgrid job list --cursor " + next + (limit != 50 ? " --limit " + limit : "")));
      return Main.OK;
    }
  }

  // ---- show ----

  @Command(
      name = "show",
      description = "Show a job: its spec, state and every completed round with its metrics.",
      footer = {"", "Example:", "  fedgrid job show job_01jd3v6q9e8r4k2m7n5p0s1t2w"})
  static final class Show extends ClientCommand {
    @Parameters(paramLabel = "ID", description = "The job's id (job_...).")
    String id;

    @Option(names = "--json", description = "Print {\"job\": ..., \"rounds\": [...]} as the API's JSON. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      JobId jobId = JobId.of(id);
      Job job = client.job(jobId);
      List<RoundSummary> rounds = client.rounds(jobId);
      if (json) {
        var body = new LinkedHashMap<String, Object>();
        body.put("job", job);
        body.put("rounds", rounds);
        printJson(body);
        return Main.OK;
      }
      PrintStream out = out();
      JobSpec s = job.spec();
      var fields = new Table("FIELD", "VALUE").withoutHeader();
      fields.row("id", job.id());
      fields.row("name", s.name());
      fields.row("state", job.state().wireName() + (job.message().isEmpty() || job.message().equals(job.state().wireName()) ? "" : ": " + job.message()));
      fields.row("rounds", job.completedRounds() + "/" + s.rounds());
      fields.row("datasets", String.join(", ", s.datasets()));
      fields.row("model", describe(s.model()));
      fields.row("strategy", describe(s.strategy()));
      fields.row("training", "epochs " + s.training().epochs() + ", batch " + s.training().batchSize() + ", "
          + s.training().optimizer().name().toLowerCase(Locale.ROOT) + " lr " + s.training().learningRate()
          + (s.training().momentum() > 0 ? " momentum " + s.training().momentum() : "") + ", seed " + s.training().seed());
      fields.row("nodes", "at least " + s.minNodes() + ", round timeout " + s.roundTimeoutSeconds() + "s");
      if (s.sampleFraction() < 1) fields.row("sampling", "each node with probability " + s.sampleFraction() + " per round");
      if (s.privacy() != null) fields.row("privacy", describe(s.privacy(), s.sampleFraction(), s.rounds(), rounds));
      if (s.secureAggregation() != null) fields.row("aggregation", describe(s.secureAggregation()));
      fields.row("metrics", Format.metrics(job.metrics()));
      fields.row("created", Format.instant(job.createdAt()));
      fields.row("started", Format.instant(job.startedAt()));
      fields.row("finished", Format.instant(job.finishedAt()));
      fields.print(out);
      if (rounds.isEmpty()) return Main.OK;
      out.println();
      var evalNames = new TreeSet<String>();
      rounds.forEach(r -> evalNames.addAll(r.evalMetrics().keySet()));
      var headers = new ArrayList<>(List.of("ROUND", "NODES", "UPDATES", "EXAMPLES", "FAILURES", "TRAIN LOSS"));
      evalNames.forEach(n -> headers.add(n.toUpperCase(Locale.ROOT)));
      boolean dp = s.privacy() != null;
      if (dp) headers.add("ε");
      headers.add("TIME");
      var table = new Table(headers.toArray(String[]::new));
      for (RoundSummary r : rounds) {
        var row = new ArrayList<Object>(List.of(r.round(), r.nodes().size(), r.updates(), r.examples(), r.failures().size(),
            r.fitMetrics().containsKey("loss") ? Format.number(r.fitMetrics().get("loss")) : "-"));
        for (String n : evalNames) row.add(r.evalMetrics().containsKey(n) ? Format.number(r.evalMetrics().get(n)) : "-");
        if (dp) row.add(r.epsilon() == null ? "-" : Format.number(r.epsilon()));
        row.add(Format.duration(r.startedAt(), r.finishedAt()));
        table.row(row.toArray());
      }
      table.print(out);
      return Main.OK;
    }

    private static String describe(ModelSpec model) {
      String layers = model.layers().stream().map(Show::layer).collect(Collectors.joining(" > "));
      return layers + " (" + model.loss().name().toLowerCase(Locale.ROOT) + ")";
    }

    /** "secure (secagg+, k 4, t 3, range ±1, 16 bits, stage time-out 60 s)", defaults shown as "auto". */
    static String describe(dev.fedgrid.api.job.SecureAggregation a) {
      return "secure (" + a.protocol() + ", k " + (a.neighbours() == null ? "auto" : a.neighbours()) + ", t " + (a.threshold() == null ? "auto" : a.threshold())
          + ", range ±" + Format.number(a.range()) + ", " + a.quantizationBits() + " bits, stage time-out " + a.stageTimeoutSeconds() + " s)";
    }

    /**
     * "DP-FedAvg σ 1.1, clip 1.0, δ 1.0E-5: ε 0.95 spent of 3.45 planned (node-level)", with ", q 0.5"
     * when nodes are sampled; "local DP σ 4.0, ...: ... planned (per node, against the gateway too)".
     */
    static String describe(DifferentialPrivacy p, double sampleFraction, int plannedRounds, List<RoundSummary> rounds) {
      String clip = p.adaptiveClipping()
          ? "adaptive clip from " + p.clipNorm() + " (quantile " + p.targetQuantile() + ", rate " + p.clipLearningRate() + ")"
          : "clip " + p.clipNorm();
      Double spent = rounds.isEmpty() ? Double.valueOf(0) : rounds.getLast().epsilon();
      boolean local = p.mode() == PrivacyMode.LOCAL;
      return (local ? "local DP σ " : "DP-FedAvg σ ") + p.noiseMultiplier() + ", " + clip + ", δ " + p.delta()
          + (!local && sampleFraction < 1 ? ", q " + sampleFraction : "") + ": ε " + (spent == null ? "-" : Format.number(spent))
          + " spent of " + Format.number(DpAccounting.spent(p, sampleFraction, plannedRounds).epsilon()) + " planned"
          + (local ? " (per node, against the gateway too)" : " (node-level)");
    }

    private static String describe(StrategyConfig strategy) {
      return switch (strategy) {
        case StrategyConfig.FedAvg a -> "fedavg";
        case StrategyConfig.FedProx p -> "fedprox (mu " + p.mu() + ")";
        case StrategyConfig.FedAvgM m -> "fedavgm (server lr " + m.serverLearningRate() + ", momentum " + m.momentum() + ")";
        case StrategyConfig.FedAdagrad g -> "fedadagrad (eta " + g.eta() + ", tau " + g.tau() + ")";
        case StrategyConfig.FedAdam a -> "fedadam (eta " + a.eta() + ", beta1 " + a.beta1() + ", beta2 " + a.beta2() + ", tau " + a.tau() + ")";
        case StrategyConfig.FedYogi y -> "fedyogi (eta " + y.eta() + ", beta1 " + y.beta1() + ", beta2 " + y.beta2() + ", tau " + y.tau() + ")";
        case StrategyConfig.FedMedian m -> "fedmedian";
        case StrategyConfig.FedTrimmedAvg t -> "fedtrimmedavg (beta " + t.beta() + ")";
        case StrategyConfig.Krum k -> "krum (byzantine " + k.byzantine() + ")";
        case StrategyConfig.MultiKrum k ->
            "multikrum (byzantine " + k.byzantine() + ", select " + (k.select() == null ? "n - " + k.byzantine() : k.select()) + ")";
        case StrategyConfig.Bulyan b -> "bulyan (byzantine " + b.byzantine() + ")";
      };
    }

    private static String layer(Layer l) {
      return switch (l) {
        case Layer.Dense d -> "dense " + d.units();
        case Layer.Conv2d c -> "conv2d " + c.filters() + "x" + c.kernel();
        case Layer.MaxPool2d m -> "maxpool " + m.kernel();
        case Layer.Dropout d -> "dropout " + d.rate();
        case Layer.Relu r -> "relu";
        case Layer.Tanh t -> "tanh";
        case Layer.Sigmoid s -> "sigmoid";
        case Layer.Flatten f -> "flatten";
      };
    }
  }

  // ---- watch ----

  @Command(
      name = "watch",
      description = {
        "Follow a job live: a progress bar on stderr with the round, the latest metrics and the time left,",
        "then the final metrics on stdout. Exits 0 when the job completed, 1 when it failed or was cancelled."
      },
      footer = {"", "Example:", "  fedgrid job watch job_01jd3v6q9e8r4k2m7n5p0s1t2w"})
  static final class Watch extends ClientCommand {
    @Parameters(paramLabel = "ID", description = "The job's id (job_...).")
    String id;

    @Option(names = "--json", description = "At the end, print the final job as the API's JSON instead of its metrics. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      return JobCommand.watch(client, JobId.of(id), out(), err(), json);
    }
  }

  private static final Pattern ROUND = Pattern.compile("round (\\d+)/(\\d+)(?:: ([^(]*))?");

  /** Follows a job to its end; returns 0 when it completed and throws when it failed or was cancelled. */
  static int watch(FedGridClient client, JobId id, PrintStream out, PrintStream err, boolean json) {
    Job job = client.job(id);
    int total = job.spec().rounds();
    int[] nodeFailures = {0};
    var builder = new ProgressBarBuilder()
        .setTaskName(id.value().length() > 12 ? "job …" + id.value().substring(id.value().length() - 6) : id.value())
        .setInitialMax(total)
        .setUnit(" rounds", 1)
        .setStyle(ProgressBarStyle.ASCII)
        .setUpdateIntervalMillis(200)
        .setConsumer(new BarConsumer(err, BarConsumer.terminal(), 100));
    try (ProgressBar bar = builder.build()) {
      bar.stepTo(job.completedRounds());
      bar.setExtraMessage(job.state().isTerminal() ? job.state().wireName() : shortMetrics(job.metrics()));
      client.watch(id, 0, (JobEventView e) -> {
        switch (e.type()) {
          case "round_completed" -> {
            Matcher m = ROUND.matcher(e.message());
            if (m.find()) {
              bar.maxHint(Integer.parseInt(m.group(2)));
              bar.stepTo(Integer.parseInt(m.group(1)));
              if (m.group(3) != null) bar.setExtraMessage(m.group(3).strip());
            } else {
              bar.step();
            }
          }
          case "node_failed" -> {
            nodeFailures[0]++;
            bar.setExtraMessage(clip(e.message()));
          }
          case "completed" -> bar.stepTo(bar.getMax());
          case "round_started" -> {
            // keep the last round's metrics on the bar; the bar itself shows the round count
          }
          default -> bar.setExtraMessage(clip(e.message()));
        }
      });
    }
    Job last = client.job(id);
    if (json) {
      out.println(CliJson.pretty(last));
    } else {
      out.println("job " + last.id() + " " + last.state().wireName() + " after " + last.completedRounds() + "/" + last.spec().rounds() + " rounds");
      var metrics = new Table("METRIC", "VALUE").withoutHeader();
      new TreeMap<>(last.metrics()).forEach((k, v) -> metrics.row("  " + k, Format.number(v)));
      metrics.print(out);
    }
    out.flush();
    if (nodeFailures[0] > 0) err.println(nodeFailures[0] + " node task(s) failed along the way; see `fedgrid job show " + id + "`");
    return switch (last.state()) {
      case COMPLETED -> Main.OK;
      case FAILED -> throw new ConflictException("JOB_FAILED", "job " + id + " failed: " + last.message(), Map.of("jobId", id.value()));
      case CANCELLED -> throw new ConflictException("JOB_CANCELLED", "job " + id + " was cancelled: " + last.message(), Map.of("jobId", id.value()));
      case QUEUED, RUNNING -> throw new UnavailableException(
          "WATCH_ENDED", "the event stream of job " + id + " ended while the job is " + last.state().wireName() + "; run `fedgrid job watch " + id + "` again");
    };
  }

  private static String shortMetrics(Map<String, Double> metrics) {
    return metrics.isEmpty() ? "" : clip(Format.metrics(metrics));
  }

  private static String clip(String s) {
    String line = s.lines().findFirst().orElse("");
    return line.length() > 60 ? line.substring(0, 59) + "…" : line;
  }

  // ---- contributions ----

  @Command(
      name = "contributions",
      description = "Show what each node put into a job: examples × epochs over its completed rounds, and its share.",
      footer = {"", "Example:", "  fedgrid job contributions job_01jd3v6q9e8r4k2m7n5p0s1t2w"})
  static final class Contributions extends ClientCommand {
    @Parameters(paramLabel = "ID", description = "The job's id (job_...).")
    String id;

    @Option(names = "--json", description = "Print the report as the API's JSON. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      ContributionReport report = client.contributions(JobId.of(id));
      if (json) {
        printJson(report);
        return Main.OK;
      }
      PrintStream out = out();
      out.println("job " + report.job() + ": " + report.examplesEpochs() + " examples × epochs over " + report.rounds() + " round(s)");
      if (report.nodes().isEmpty()) return Main.OK;
      var table = new Table("NODE", "EXAMPLES × EPOCHS", "ROUNDS", "SHARE");
      for (ContributionReport.NodeContribution n : report.nodes()) {
        table.row(n.node(), n.examplesEpochs(), n.rounds(), String.format(Locale.ROOT, "%.1f%%", 100 * n.share()));
      }
      table.print(out);
      return Main.OK;
    }
  }

  // ---- cancel and delete ----

  @Command(
      name = "cancel",
      description = "Cancel a queued or running job; completed rounds and their model stay.",
      footer = {"", "Example:", "  fedgrid job cancel job_01jd3v6q9e8r4k2m7n5p0s1t2w"})
  static final class Cancel extends ClientCommand {
    @Parameters(paramLabel = "ID", description = "The job's id (job_...).")
    String id;

    @Option(names = "--json", description = "Print the cancelled job as the API's JSON. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      Job job = client.cancelJob(JobId.of(id));
      if (json) printJson(job);
      else out().println("job " + job.id() + " " + job.state().wireName() + " after " + job.completedRounds() + " completed round(s)");
      return Main.OK;
    }
  }

  @Command(
      name = "delete",
      description = "Delete a finished job with its rounds, checkpoints, events and model.",
      footer = {"", "Example:", "  fedgrid job delete job_01jd3v6q9e8r4k2m7n5p0s1t2w"})
  static final class Delete extends ClientCommand {
    @Parameters(paramLabel = "ID", description = "The job's id (job_...).")
    String id;

    @Override
    int call(FedGridClient client) {
      JobId jobId = JobId.of(id);
      client.deleteJob(jobId);
      out().println("deleted job " + jobId);
      return Main.OK;
    }
  }
}
