package dev.fedgrid.cli;

import dev.fedgrid.api.JobId;
import dev.fedgrid.client.FedGridClient;
import dev.fedgrid.client.ModelDownload;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fedgrid model download}: trained models. */
@Command(
    name = "model",
    description = "Fetch the models jobs trained.",
    subcommands = {ModelCommand.Download.class},
    footer = {"", "Example:", "  fedgrid model download job_01jd3v6q9e8r4k2m7n5p0s1t2w --out models/heart"})
public final class ModelCommand implements Runnable {
  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing a subcommand: download");
  }

  @Command(
      name = "download",
      description = {
        "Download a job's latest model: model.safetensors (float32 tensors, loadable with the safetensors library;",
        "the job id, round, spec, input shape and scaling in its metadata) and model.json (spec, input shape,",
        "scaling and tensor layout). Prints the paths written."
      },
      footer = {"", "Example:", "  fedgrid model download job_01jd3v6q9e8r4k2m7n5p0s1t2w --out models/heart"})
  static final class Download extends ClientCommand {
    @Parameters(paramLabel = "JOB", description = "The job's id (job_...).")
    String job;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = ".",
        description = "Directory to write into (created when missing; files of the same name are replaced). Default: ${DEFAULT-VALUE} (the current directory).")
    Path out;

    @Option(names = "--json", description = "Print what was written as JSON. Default: false.")
    boolean json;

    @Override
    int call(FedGridClient client) {
      ModelDownload d = client.downloadModel(JobId.of(job), out);
      if (json) {
        var body = new LinkedHashMap<String, Object>();
        body.put("jobId", d.jobId());
        body.put("round", d.round());
        body.put("weights", d.weights().toString());
        body.put("description", d.description().toString());
        body.put("sizeBytes", d.sizeBytes());
        printJson(body);
        return Main.OK;
      }
      out().println(d.weights());
      out().println(d.description());
      err().println("downloaded round " + d.round() + " of job " + d.jobId() + " (" + Format.bytes(d.sizeBytes()) + ")");
      return Main.OK;
    }
  }
}
