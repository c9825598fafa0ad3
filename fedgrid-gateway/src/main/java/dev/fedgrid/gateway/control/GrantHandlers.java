package dev.fedgrid.gateway.control;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.gateway.access.DatasetAccess;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;
import java.util.Map;

/**
 * The endpoints that govern datasets: their grants ({@code GET/PUT/DELETE
 * /datasets/{id}/grants[/{user}]}) and visibility ({@code PATCH /datasets/{id}}). The rules are
 * {@link DatasetAccess}'s.
 *
 * <p>Thread-safe: the only state is the (thread-safe) service.
 */
final class GrantHandlers {
  private final DatasetAccess datasets;

  GrantHandlers(DatasetAccess datasets) {
    this.datasets = datasets;
  }

  /**
   * The dataset governance routes. Listing grants is for every user (who sees only their own grant
   * unless they manage grants); changing grants needs {@code can_upload_data} or {@code
   * can_triage_requests}, visibility {@code can_upload_data}; {@link DatasetAccess} checks which
   * right needs which.
   */
  List<Route> routes() {
    String b = ControlHandlers.BASE + "/datasets/{id}";
    Access managers = Access.anyOf(Permission.UPLOAD_DATA, Permission.TRIAGE_REQUESTS);
    return List.of(
        new Route(Method.PATCH, b, managers, this::patch),
        new Route(Method.GET, b + "/grants", Access.AUTHENTICATED, this::grants),
        new Route(Method.PUT, b + "/grants/{user}", managers, this::grant),
        new Route(Method.DELETE, b + "/grants/{user}", managers, this::revoke));
  }

  /** The body of {@code PUT /datasets/{id}/grants/{user}}: the rights the user holds afterwards. */
  record GrantBody(Boolean process, Boolean downloadResults) {}

  /** The body of {@code PATCH /datasets/{id}}. */
  record DatasetPatch(Visibility visibility) {}

  void grants(ServerRequest req, ServerResponse res) {
    ControlHandlers.json(res, Map.of("items", datasets.grants(ControlHandlers.principal(req), datasetId(req))));
  }

  void grant(ServerRequest req, ServerResponse res) {
    GrantBody body = JsonBodies.read(req, GrantBody.class);
    boolean process = Boolean.TRUE.equals(body.process());
    boolean download = Boolean.TRUE.equals(body.downloadResults());
    ControlHandlers.json(res, datasets.grant(ControlHandlers.principal(req), datasetId(req), user(req), process, download));
  }

  void revoke(ServerRequest req, ServerResponse res) {
    datasets.revoke(ControlHandlers.principal(req), datasetId(req), user(req));
    res.status(Status.NO_CONTENT_204);
    res.send();
  }

  void patch(ServerRequest req, ServerResponse res) {
    DatasetPatch patch = JsonBodies.read(req, DatasetPatch.class);
    if (patch.visibility() == null) {
      throw new InvalidRequestException(
          "INVALID_DATASET_PATCH", "send the field to change: {\"visibility\": \"public\"} or {\"visibility\": \"private\"}", Map.of("field", "visibility"));
    }
    ControlHandlers.json(res, datasets.setVisibility(ControlHandlers.principal(req), datasetId(req), patch.visibility()));
  }

  private static DatasetId datasetId(ServerRequest req) {
    return DatasetId.of(ControlHandlers.pathId(req));
  }

  private static String user(ServerRequest req) {
    return req.path().pathParameters().get("user");
  }
}
