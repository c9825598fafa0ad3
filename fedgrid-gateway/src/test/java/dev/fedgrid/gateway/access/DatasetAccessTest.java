package dev.fedgrid.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.governance.AuditEvent;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.gateway.audit.AuditQuery;
import dev.fedgrid.gateway.json.Json;
import dev.fedgrid.gateway.state.NodeRecord;
import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.gateway.state.SqlStateStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dataset rules of {@link DatasetAccess} on a real SQLite database, without HTTP. */
class DatasetAccessTest {
  @TempDir Path dir;
  private SqlDatabase db;
  private SqlStateStore store;
  private TestIdentity identity;
  private DatasetAccess access;
  private NodeId a;
  private NodeId b;
  private DatasetInfo heartA; // private
  private DatasetInfo heartB; // public
  private Principal owner;
  private Principal ana;
  private Principal dora;
  private Principal cleo;

  @BeforeEach
  void open() {
    db = SqlDatabase.sqlite(dir.resolve("gateway.db"));
    store = new SqlStateStore(db);
    identity = TestIdentity.on(db, Clock.systemUTC());
    access = new DatasetAccess(db, store, identity.audit, Clock.systemUTC());
    Instant now = Instant.now();
    a = NodeId.random();
    b = NodeId.random();
    store.putNode(new NodeRecord(a, "hospital-a", 2, 1024, "test", new byte[32], now, now));
    store.putNode(new NodeRecord(b, "hospital-b", 2, 1024, "test", new byte[32], now, now));
    heartA = store.putDataset(a, heart(Visibility.PRIVATE), now);
    heartB = store.putDataset(b, heart(Visibility.PUBLIC), now);
    owner = identity.ownerPrincipal();
    ana = user("ana", "data-scientist");
    dora = user("dora", "data-owner");
    cleo = user("cleo", "compliance-officer");
  }

  @AfterEach
  void close() {
    db.close();
  }

  private Principal user(String name, String role) {
    return identity.identity.authenticate(identity.tokenFor(name, role));
  }

  private static DatasetMetadata heart(Visibility visibility) {
    return new DatasetMetadata("heart", DatasetFormat.CSV, List.of(3), List.of(), LabelInfo.categorical("y", List.of(6L, 4L)), 10, 2, List.of(), visibility);
  }

  private static Job job(Principal who, String... datasets) throws Exception {
    String json = "{\"name\": \"j\", \"datasets\": " + Json.mapper().writeValueAsString(List.of(datasets))
        + ", \"model\": {\"layers\": [{\"type\": \"dense\", \"units\": 1}], \"loss\": \"binary_cross_entropy\"}, \"rounds\": 1, \"minNodes\": 1}";
    JobSpec spec = Json.mapper().readValue(json, JobSpec.class);
    return new Job(JobId.random(), spec, JobState.QUEUED, 0, "", Instant.now(), null, null, Map.of(), who.name());
  }

  private List<AuditEvent> events(String prefix) {
    return identity.audit.events(AuditQuery.all(1000)).stream().filter(e -> e.action().startsWith(prefix)).toList();
  }

  @Test
  void processingFollowsVisibilityGrantsAndUploadRights() {
    assertThat(access.mayProcess(ana, heartB)).isTrue();
    assertThat(access.mayProcess(ana, heartA)).isFalse();
    assertThat(access.mayProcess(cleo, heartA)).isFalse();
    assertThat(access.mayProcess(dora, heartA)).isTrue(); // can_upload_data
    assertThat(access.mayProcess(owner, heartA)).isTrue();
    access.grant(dora, heartA.id(), "ana", true, false);
    assertThat(access.mayProcess(ana, heartA)).isTrue();
    assertThat(access.mayDownloadResults(ana, heartA.id())).isFalse();
    assertThat(access.mayDownloadResults(ana, heartB.id())).isTrue();
    assertThat(access.mayDownloadResults(owner, heartA.id())).isFalse(); // results leave by grant or release
    access.grant(cleo, heartA.id(), "ana", false, true); // replaces: download only
    assertThat(access.mayProcess(ana, heartA)).isFalse();
    assertThat(access.mayDownloadResults(ana, heartA.id())).isTrue();
    assertThat(access.mayDownloadResults(ana, dev.fedgrid.api.DatasetId.random())).isFalse();
  }

  @Test
  void admissionRefusesAJobNamingAPrivateDatasetAndNamesOnlyThatOne() throws Exception {
    access.admit(ana, job(ana, heartB.id().value())); // public by id
    assertThatThrownBy(() -> access.admit(ana, job(ana, "heart"))) // the name selects both nodes' datasets
        .isInstanceOfSatisfying(PermissionDeniedException.class, e -> {
          assertThat(e.code()).isEqualTo("DATASET_ACCESS_DENIED");
          assertThat(e.getMessage()).contains(heartA.id().value(), "hospital", "ana").doesNotContain(heartB.id().value());
          assertThat(e.details()).containsEntry("datasets", List.of(heartA.id().value()));
        });
    access.admit(dora, job(dora, "heart"));
    access.grant(owner, heartA.id(), "ana", true, false);
    access.admit(ana, job(ana, "heart"));
  }

  @Test
  void whoMayGrantWhatAndNeverToThemselves() {
    assertThatThrownBy(() -> access.grant(ana, heartA.id(), "cleo", true, false)).isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> access.grant(cleo, heartA.id(), "ana", true, false))
        .isInstanceOfSatisfying(PermissionDeniedException.class, e -> assertThat(e.details()).containsEntry("permission", "can_upload_data"));
    assertThatThrownBy(() -> access.grant(dora, heartA.id(), "ana", false, true))
        .isInstanceOfSatisfying(PermissionDeniedException.class, e -> assertThat(e.details()).containsEntry("permission", "can_triage_requests"));
    assertThatThrownBy(() -> access.grant(dora, heartA.id(), "dora", true, false))
        .isInstanceOfSatisfying(PermissionDeniedException.class, e -> assertThat(e.code()).isEqualTo("SELF_GRANT_DENIED"));
    assertThatThrownBy(() -> access.grant(owner, heartA.id(), "owner", true, true))
        .isInstanceOfSatisfying(PermissionDeniedException.class, e -> assertThat(e.code()).isEqualTo("SELF_GRANT_DENIED"));
    assertThatThrownBy(() -> access.grant(dora, heartA.id(), "nobody", true, false))
        .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo("USER_NOT_FOUND"));
    assertThatThrownBy(() -> access.grant(dora, heartA.id(), "ana", false, false))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_GRANT"));
    assertThatThrownBy(() -> access.revoke(dora, heartA.id(), "ana"))
        .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo("GRANT_NOT_FOUND"));
    assertThat(events("grant.")).isEmpty();
    assertThat(access.grants(owner, heartA.id())).isEmpty();

    // a compliance officer may keep a process right someone else gave, and take it away
    access.grant(dora, heartA.id(), "ana", true, false);
    access.grant(cleo, heartA.id(), "ana", true, true);
    access.grant(cleo, heartA.id(), "ana", true, true); // unchanged: nothing recorded
    access.revoke(cleo, heartA.id(), "ana");
    assertThat(events("grant.")).extracting(AuditEvent::action).containsExactly("grant.created", "grant.created", "grant.revoked");
    // a user may take their own rights away (revoking is always safe)
    access.grant(dora, heartA.id(), "cleo", true, false);
    access.revoke(cleo, heartA.id(), "cleo");
    assertThat(access.grants(owner, heartA.id())).isEmpty();
  }

  @Test
  void aGrantAndItsEventCommitTogetherOrNotAtAll() {
    assertThatThrownBy(() -> db.transact("grant, then fail", () -> {
      access.grant(dora, heartA.id(), "ana", true, false);
      throw new IllegalStateException("the rest of the change failed");
    })).isInstanceOf(IllegalStateException.class);
    assertThat(access.grants(owner, heartA.id())).isEmpty();
    assertThat(events("grant.")).isEmpty();
    assertThat(access.mayProcess(ana, heartA)).isFalse();
    assertThat(identity.audit.verify().intact()).isTrue();
  }

  @Test
  void visibilitySetOnTheGatewayOutlivesRegistrationAndIsAuditedOnce() {
    // making data public lets every later result out: compliance decides it, not the data owner
    assertThatThrownBy(() -> access.setVisibility(dora, heartA.id(), Visibility.PUBLIC))
        .isInstanceOfSatisfying(PermissionDeniedException.class, e -> assertThat(e.details()).containsEntry("permission", "can_triage_requests"));
    assertThatThrownBy(() -> access.setVisibility(ana, heartA.id(), Visibility.PRIVATE)).isInstanceOf(PermissionDeniedException.class);
    assertThat(access.setVisibility(dora, heartA.id(), Visibility.PRIVATE).metadata().visibility()).isEqualTo(Visibility.PRIVATE); // holding back: fine
    assertThat(events("dataset.visibility")).isEmpty(); // it was private already
    assertThat(access.setVisibility(cleo, heartA.id(), Visibility.PUBLIC).metadata().visibility()).isEqualTo(Visibility.PUBLIC);
    assertThat(access.mayProcess(ana, store.dataset(heartA.id()).orElseThrow())).isTrue();
    // the node registers again, still declaring private
    DatasetInfo again = store.putDataset(a, heart(Visibility.PRIVATE), Instant.now());
    assertThat(again.metadata().visibility()).isEqualTo(Visibility.PUBLIC);
    assertThat(store.datasets(Optional.of("heart"))).allSatisfy(d -> assertThat(d.metadata().visibility()).isEqualTo(Visibility.PUBLIC));
    access.setVisibility(cleo, heartA.id(), Visibility.PUBLIC);
    assertThat(events("dataset.visibility")).singleElement().satisfies(e -> {
      assertThat(e.actor()).isEqualTo("cleo");
      assertThat(e.details()).containsEntry("from", "private").containsEntry("to", "public").containsEntry("name", "heart");
    });
    assertThatThrownBy(() -> access.setVisibility(cleo, dev.fedgrid.api.DatasetId.random(), Visibility.PUBLIC))
        .isInstanceOfSatisfying(FedGridException.class, e -> assertThat(e.code()).isEqualTo("DATASET_NOT_FOUND"));
  }

  @Test
  void everyoneSeesTheirOwnGrantOnlyUnlessTheyManageGrants() {
    access.grant(dora, heartA.id(), "ana", true, false);
    access.grant(dora, heartA.id(), "cleo", true, false);
    assertThat(access.grants(dora, heartA.id())).extracting(g -> g.user()).containsExactly("ana", "cleo");
    assertThat(access.grants(cleo, heartA.id())).hasSize(2);
    assertThat(access.grants(ana, heartA.id())).extracting(g -> g.user()).containsExactly("ana");
    Principal bo = user("bo", "data-scientist");
    assertThat(access.grants(bo, heartA.id())).isEmpty();
  }
}
