package dev.fedgrid.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.client.ActivityClient.Batch;
import dev.fedgrid.client.ActivityClient.Result;
import dev.fedgrid.client.MarketClient.DemandTerms;
import dev.fedgrid.client.MarketClient.OfferTerms;
import dev.fedgrid.client.MarketClient.Price;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK's activity calls against a real gateway and real nodes over mutual TLS (see {@link
 * TestGrid}; their engine adds 1 to every parameter): the owner is the provider side, ana the
 * requestor. A script runs on the agreement's node and its results arrive in order.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ActivityClientTest {
  private static final String PASSWORD = "correct horse battery staple";
  private static final Map<String, Object> MODEL = Map.of("layers", List.of(Map.of("type", "dense", "units", 1)), "loss", "binary_cross_entropy");
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
  void runsAScriptOnTheAgreementsNodeAndReportsEachResultInOrder() throws Exception {
    DatasetInfo dataset = ana.datasets(null, null).getFirst();
    String node = dataset.nodeId().value();
    String job = ana.submitJob(TestGrid.spec("activity", 1, 3)).id().value();
    var offer = owner.market().publishOffer(new OfferTerms(node, Map.of(), null, new Price("1", Map.of())));
    var demand = ana.market().publishDemand(new DemandTerms(job, Map.of(), null, new Price("1", Map.of()), "5", Map.of()));
    String agreement = ana.market().createAgreement(ana.market().propose(offer.id(), demand.id()).id(), null, null).id();
    ana.market().confirm(agreement);
    owner.market().approve(agreement);

    ActivityClient activities = ana.activities();
    var activity = activities.create(agreement);
    assertThat(activity.state()).isEqualTo("NEW");
    assertThat(activity.node()).isEqualTo(node);

    // refused before anything runs: a bad argument and a command the state does not allow, by index
    assertThatThrownBy(() -> activities.exec(activity.id(), List.of(Map.of("start", Map.of()), Map.of("run", Map.of("kind", "train")))))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.details()).containsEntry("index", 1));
    assertThatThrownBy(() -> activities.exec(activity.id(), List.of(Map.of("start", Map.of()))))
        .isInstanceOfSatisfying(ConflictException.class, e -> {
          assertThat(e.code()).isEqualTo("ACTIVITY_STATE_CONFLICT");
          assertThat(e.details()).containsEntry("index", 0);
        });

    Batch queued = activities.exec(activity.id(), List.of(
        Map.of("deploy", Map.of("model", MODEL, "dataset", dataset.id().value(), "parameters", "initial", "seed", 7)),
        Map.of("start", Map.of()),
        Map.of("run", Map.of("kind", "fit", "epochs", 1)),
        Map.of("transfer", Map.of("from", "activity", "to", "gateway")),
        Map.of("terminate", Map.of())));
    var seen = new ArrayList<Result>();
    Batch done = activities.await(activity.id(), queued.id(), Duration.ofSeconds(60), seen::add);
    assertThat(done.succeeded()).as(done.toString()).isTrue();
    assertThat(seen).extracting(Result::index).containsExactly(0, 1, 2, 3, 4);
    assertThat(seen).extracting(Result::command).containsExactly("deploy", "start", "run", "transfer", "terminate");
    assertThat(seen).allMatch(Result::ok);
    assertThat(seen.get(2).data()).containsEntry("loss", 0.5).containsEntry("examples", seen.get(1).data().get("trainExamples"));
    assertThat(seen.get(2).data().get("parametersDigest")).as("training changed the parameters").isNotEqualTo(seen.get(0).data().get("parametersDigest"));

    var ended = activities.activity(activity.id());
    assertThat(ended.state()).isEqualTo("TERMINATED");
    assertThat(ended.parameters().digest()).isEqualTo(seen.get(3).data().get("parametersDigest"));
    assertThat(activities.logs(activity.id(), 0, 100).items()).extracting(l -> l.line()).contains("terminated");
    assertThat(activities.activities(agreement, null, 10).items()).extracting(a -> a.id()).containsExactly(activity.id());
    assertThatThrownBy(() -> activities.terminate(activity.id(), "again"))
        .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(((FedGridException) e).code()).isEqualTo("ACTIVITY_TERMINATED"));
  }
}
