package dev.fedgrid.gateway.control;

import static dev.fedgrid.gateway.control.ControlHandlers.BASE;
import static dev.fedgrid.gateway.control.ControlHandlers.pathId;
import static dev.fedgrid.gateway.control.ControlHandlers.principal;

import dev.fedgrid.api.JobId;
import dev.fedgrid.gateway.reports.JobReports;
import io.helidon.common.media.type.MediaTypes;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * Job reports: {@code GET /jobs/{id}/report}, a self-contained HTML page, and {@code GET
 * /jobs/{id}/report/charts/{chart}}, its charts as PNG files ({@code metrics.png}, {@code
 * epsilon.png}, {@code contribution.png}). Whoever may see the job may read its report, with held
 * results left out as everywhere else ({@link JobReports}).
 *
 * <p>Thread-safe.
 */
final class ReportHandlers {
  /** The report page may show only what it carries: no script, no fetch, no external resource. */
  private static final String CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox";

  private final JobReports reports;

  ReportHandlers(JobReports reports) {
    this.reports = Objects.requireNonNull(reports, "reports");
  }

  /** This handler's routes, for {@link ControlServer}. */
  List<Route> routes() {
    return List.of(
        new Route(Method.GET, BASE + "/jobs/{id}/report", Access.AUTHENTICATED, this::report),
        new Route(Method.GET, BASE + "/jobs/{id}/report/charts/{chart}", Access.AUTHENTICATED, this::chart));
  }

  private void report(ServerRequest req, ServerResponse res) {
    JobId id = JobId.of(pathId(req));
    byte[] html = reports.html(principal(req), id).getBytes(StandardCharsets.UTF_8);
    res.header(HeaderNames.CONTENT_TYPE, "text/html; charset=utf-8");
    res.header(HeaderNames.create("Content-Security-Policy"), CONTENT_SECURITY_POLICY);
    res.header(HeaderNames.create("X-Content-Type-Options"), "nosniff");
    res.header(HeaderNames.CACHE_CONTROL, "no-store");
    res.header(HeaderNames.CONTENT_DISPOSITION, "inline; filename=\"" + id + "-report.html\"");
    res.send(html);
  }

  private void chart(ServerRequest req, ServerResponse res) {
    JobId id = JobId.of(pathId(req));
    String file = req.path().pathParameters().get("chart");
    byte[] png = reports.png(principal(req), id, file);
    res.headers().contentType(MediaTypes.create("image", "png"));
    res.header(HeaderNames.create("X-Content-Type-Options"), "nosniff");
    res.header(HeaderNames.CACHE_CONTROL, "no-store");
    res.header(HeaderNames.CONTENT_DISPOSITION, "inline; filename=\"" + id + "-" + file.replaceAll("[^A-Za-z0-9._-]", "") + "\"");
    res.send(png);
  }
}
