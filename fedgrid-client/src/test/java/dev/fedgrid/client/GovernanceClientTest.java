package dev.fedgrid.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.dataset.DatasetGrant;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetQuery;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.governance.AuditEvent;
import dev.fedgrid.api.governance.AuditVerification;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK's dataset governance (search, visibility, grants) and audit ledger calls against a real
 * gateway with two real nodes (see {@link TestGrid}), each holding a public dataset {@value
 * TestGrid#DATASET}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GovernanceClientTest {
  private static final String PASSWORD = "correct horse battery staple";
  @TempDir static Path dir;
  private static TestGrid grid;
  private static FedGridClient owner;
  private static FedGridClient ana;

  @BeforeAll
  static void start() throws Exception {
    grid = TestGrid.start(dir);
    owner = grid.client();
    owner.createUser("ana", "data-scientist", PASSWORD);
    ana = grid.clientBuilder().build().login("ana", PASSWORD);
  }

  @AfterAll
  static void stop() {
    if (ana != null) ana.close();
    if (grid != null) grid.close();
  }

  @Test
  void searchesTheCatalogueByTagColumnTextAndVisibility() {
    assertThat(ana.datasets(DatasetQuery.all().withTag("medical"))).hasSize(2);
    assertThat(ana.datasets(DatasetQuery.all().withColumn("RADIUS_MEAN"))).hasSize(2);
    assertThat(ana.datasets(DatasetQuery.all().withColumn("radius"))).isEmpty();
    assertThat(ana.datasets(DatasetQuery.all().withText("radius"))).hasSize(2);
    assertThat(ana.datasets(DatasetQuery.all().withText("no-such-thing"))).isEmpty();
    assertThat(ana.datasets("canc", null)).hasSize(2);
    assertThat(ana.datasets(DatasetQuery.all().withVisibility(Visibility.PUBLIC).withTag("medical"))).hasSize(2);
  }

  @Test
  void aPrivateDatasetNeedsAGrantToTrainOnAndEveryChangeIsAudited() {
    DatasetInfo first = owner.datasets(DatasetQuery.all().withName(TestGrid.DATASET)).getFirst();
    try {
      assertThat(owner.setDatasetVisibility(first.id(), Visibility.PRIVATE).metadata().visibility()).isEqualTo(Visibility.PRIVATE);
      assertThat(ana.datasets(DatasetQuery.all().withVisibility(Visibility.PRIVATE))).extracting(DatasetInfo::id).containsExactly(first.id());

      assertThatThrownBy(() -> ana.submitJob(TestGrid.spec("refused", 1, 3)))
          .isInstanceOfSatisfying(PermissionDeniedException.class, e -> {
            assertThat(e.code()).isEqualTo("DATASET_ACCESS_DENIED");
            assertThat(e.getMessage()).contains(first.id().value());
          });
      assertThatThrownBy(() -> owner.grantDataset(first.id(), "nobody", true, false))
          .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo("USER_NOT_FOUND"));
      assertThatThrownBy(() -> ana.grantDataset(first.id(), "ana", true, false)).isInstanceOf(PermissionDeniedException.class);

      DatasetGrant grant = owner.grantDataset(first.id(), "ana", true, false);
      assertThat(grant.user()).isEqualTo("ana");
      assertThat(grant.process()).isTrue();
      assertThat(grant.downloadResults()).isFalse();
      assertThat(ana.datasetGrants(first.id())).containsExactly(grant);
      owner.cancelJob(ana.submitJob(TestGrid.spec("granted", 1, 3)).id());

      owner.revokeDatasetGrant(first.id(), "ana");
      assertThat(owner.datasetGrants(first.id())).isEmpty();
      assertThatThrownBy(() -> ana.submitJob(TestGrid.spec("revoked", 1, 3))).isInstanceOf(PermissionDeniedException.class);

      List<AuditEvent> events = owner.auditEvents(AuditFilter.all().withTarget(first.id().value())).items();
      assertThat(events).extracting(AuditEvent::action).containsExactly("dataset.visibility", "grant.created", "grant.revoked");
      assertThat(events).allSatisfy(e -> assertThat(e.actor()).isEqualTo("owner"));
    } finally {
      owner.setDatasetVisibility(first.id(), Visibility.PUBLIC);
    }
  }

  @Test
  void listsAuditEventsPageByPageAndVerifiesTheChain() {
    var seqs = new ArrayList<Long>();
    AuditFilter filter = AuditFilter.all().withLimit(3);
    AuditPage page;
    do {
      page = owner.auditEvents(filter);
      page.items().forEach(e -> seqs.add(e.seq()));
      filter = filter.withAfter(page.nextAfter() == null ? 0 : page.nextAfter());
    } while (page.hasNext());
    assertThat(seqs).isNotEmpty();
    for (int i = 0; i < seqs.size(); i++) assertThat(seqs.get(i)).isEqualTo(i + 1L);
    assertThat(owner.auditEvents(AuditFilter.all().withAction("node.")).items()).extracting(AuditEvent::action)
        .contains("node.enrolled", "node.join-token.created");
    assertThat(owner.auditEvents(AuditFilter.all().withActor("ana").withAction("login.succeeded")).items()).isNotEmpty();

    AuditVerification v = owner.verifyAudit();
    assertThat(v.intact()).as(v.message()).isTrue();
    assertThat(v.verified()).isGreaterThanOrEqualTo(seqs.size());
    assertThat(owner.verifyAudit(v.headHash()).intact()).isTrue();
    AuditVerification rewritten = owner.verifyAudit("0".repeat(63) + "1");
    assertThat(rewritten.intact()).isFalse();
    assertThat(rewritten.problem()).isEqualTo("EXPECTED_HEAD_MISSING");

    assertThatThrownBy(() -> ana.auditEvents(AuditFilter.all()))
        .isInstanceOfSatisfying(PermissionDeniedException.class, e -> assertThat(e.code()).isEqualTo("PERMISSION_DENIED"));
    assertThatThrownBy(ana::verifyAudit).isInstanceOf(FedGridException.class);
  }

  @Test
  void followsTheLedgerLiveUntilItsEndTime() throws Exception {
    long head = owner.verifyAudit().verified();
    var seen = new CopyOnWriteArrayList<AuditEvent>();
    Instant until = Instant.now().plus(Duration.ofSeconds(3));
    Thread follower = Thread.ofVirtual().start(() -> owner.followAudit(AuditFilter.all().withAction("token.").withAfter(head).withUntil(until), seen::add));
    String name = "follow-" + System.nanoTime();
    var issued = ana.createToken(name, 1);
    ana.revokeToken(issued.info().id());
    follower.join(Duration.ofSeconds(20));
    assertThat(follower.isAlive()).as("the follow returns once its end time passed").isFalse();
    assertThat(seen).extracting(AuditEvent::action).containsExactly("token.created", "token.revoked");
    assertThat(seen).allSatisfy(e -> {
      assertThat(e.seq()).isGreaterThan(head);
      assertThat(e.details()).doesNotContainValue(issued.token());
    });
  }
}
