package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.cli.CliHelpTest.Run;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedgrid job report} against a real gateway with two real nodes that trained a job. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JobReportCommandTest {
  @TempDir static Path dir;
  private static TestGrid grid;
  private static Job trained;

  @BeforeAll
  static void start() throws Exception {
    grid = TestGrid.start(dir);
    trained = grid.run(TestGrid.spec("reported", 7, 3, 1));
    assertThat(trained.state()).as(trained.message()).isEqualTo(JobState.COMPLETED);
  }

  @AfterAll
  static void stop() {
    if (grid != null) grid.close();
  }

  private static Run run(String... args) {
    var all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--gateway", grid.url(), "--token", grid.owner().token()));
    return CliHelpTest.run(all.toArray(String[]::new));
  }

  @Test
  void writesTheHtmlReportAndThePngCharts(@TempDir Path out) throws Exception {
    Path html = out.resolve("reports/job.html");
    Path charts = out.resolve("charts");
    Run r = run("job", "report", trained.id().value(), "--out", html.toString(), "--png", charts.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("report of job " + trained.id() + ": " + html).contains("chart metrics: " + charts.resolve("metrics.png"));

    String page = Files.readString(html);
    assertThat(page).startsWith("<!DOCTYPE html>").contains("Job report: reported", trained.id().value(), "3 of 3 completed", TestGrid.CANCER)
        .doesNotContainIgnoringCase("<script");
    assertThat(page.split("class=\"point\" data-series=\"accuracy\"", -1)).hasSize(4); // one point per round
    assertThat(page).contains("data-action=\"job.submitted\"");
    for (String name : List.of("metrics", "epsilon", "contribution")) {
      BufferedImage image = ImageIO.read(charts.resolve(name + ".png").toFile());
      assertThat(image).as(name).isNotNull();
      assertThat(image.getWidth()).isGreaterThan(600);
    }
    try (var files = Files.list(out.resolve("reports"))) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly("job.html"); // no partial file left
    }
  }

  @Test
  void theDefaultFileIsNamedAfterTheJobAndFailuresAreReadable() throws Exception {
    Path cwd = Path.of("").toAbsolutePath();
    Path expected = cwd.resolve(trained.id() + "-report.html");
    try {
      Run r = run("job", "report", trained.id().value());
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(Files.readString(expected)).contains("Job report: reported");
    } finally {
      Files.deleteIfExists(expected);
    }
    Run missing = run("job", "report", "job_01jd3v6q9e8r4k2m7n5p0s1t2w", "--out", dir.resolve("x.html").toString());
    assertThat(missing.code()).isEqualTo(Main.FAILURE);
    assertThat(missing.err()).contains("JOB_NOT_FOUND");
    assertThat(Files.exists(dir.resolve("x.html"))).isFalse();
  }
}
