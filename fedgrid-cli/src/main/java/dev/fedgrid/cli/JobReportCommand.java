package dev.fedgrid.cli;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.client.FedGridClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code fedgrid job report JOB [--out FILE] [--png DIR]}: a job's self-contained HTML report and its charts. */
@Command(
    name = "report",
    description = {
      "Save a job's report: one self-contained HTML page (open it in any browser, mail it, print it) with the job's configuration,",
      "state and timings, charts of metrics per round, ε over rounds and each node's contribution, cost, and its audit trail.",
      "While the job's results are held, only loss and accuracy are in it. With --png, the charts are also saved as PNG files."
    },
    footer = {
      "",
      "Example:",
      "  fedgrid job report job_01jd3v6q9e8r4k2m7n5p0s1t2w",
      "  fedgrid job report job_01jd3v6q9e8r4k2m7n5p0s1t2w --out reports/heart.html --png reports/charts"
    })
final class JobReportCommand extends ClientCommand {
  @Parameters(paramLabel = "JOB", description = "The job's id (job_...).")
  String id;

  @Option(names = "--out", paramLabel = "FILE", description = "Where to write the HTML report (its folder is created when missing). Default: <job id>-report.html in the current folder.")
  Path out;

  @Option(names = "--png", paramLabel = "DIR",
      description = "Also save the charts as metrics.png, epsilon.png and contribution.png in DIR (created when missing). Default: no PNG files.")
  Path png;

  @Override
  int call(FedGridClient client) {
    JobId job = JobId.of(id);
    Path file = out != null ? out : Path.of(job + "-report.html");
    write(file, client.jobReport(job).getBytes(StandardCharsets.UTF_8));
    out().println("report of job " + job + ": " + file.toAbsolutePath().normalize());
    if (png != null) {
      for (String name : FedGridClient.REPORT_CHARTS) {
        Path chart = png.resolve(name + ".png");
        write(chart, client.jobReportChart(job, name));
        out().println("chart " + name + ": " + chart.toAbsolutePath().normalize());
      }
    }
    return Main.OK;
  }

  /** Writes through a temporary file in the same folder, so an interrupted run leaves no half file. */
  private static void write(Path file, byte[] content) {
    Path dir = file.toAbsolutePath().getParent();
    try {
      Files.createDirectories(dir);
      Path partial = Files.createTempFile(dir, file.getFileName().toString(), ".part");
      try {
        Files.write(partial, content);
        Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(partial);
      }
    } catch (IOException e) {
      throw new InvalidRequestException("CANNOT_WRITE_REPORT", "cannot write " + file + ": " + e.getMessage() + "; choose another --out or --png folder",
          Map.of("file", file.toString()));
    }
  }
}
