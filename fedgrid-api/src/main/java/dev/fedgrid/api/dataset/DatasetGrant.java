package dev.fedgrid.api.dataset;

import dev.fedgrid.api.DatasetId;
import java.time.Instant;
import java.util.Objects;

/**
 * What one user may do with one dataset beyond what its {@link Visibility} allows everybody, in the
 * spirit of per-asset {@code {public, authorized_ids}} permissions. Nobody sees rows either way.
 *
 * @param datasetId the dataset
 * @param user the login name of the user holding the grant
 * @param process may train and evaluate on the dataset (private datasets need this)
 * @param downloadResults may take results computed on the dataset (models, metrics) out of the
 *     gateway without a release request
 * @param grantedBy the login name of who granted it last
 * @param grantedAt when it was granted last
 */
public record DatasetGrant(DatasetId datasetId, String user, boolean process, boolean downloadResults, String grantedBy, Instant grantedAt) {
  public DatasetGrant {
    Objects.requireNonNull(datasetId, "datasetId");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(grantedBy, "grantedBy");
    Objects.requireNonNull(grantedAt, "grantedAt");
  }
}
