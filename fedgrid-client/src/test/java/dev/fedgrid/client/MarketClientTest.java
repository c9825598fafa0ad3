package dev.fedgrid.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.client.MarketClient.Agreement;
import dev.fedgrid.client.MarketClient.DemandTerms;
import dev.fedgrid.client.MarketClient.DocumentKind;
import dev.fedgrid.client.MarketClient.OfferQuery;
import dev.fedgrid.client.MarketClient.OfferTerms;
import dev.fedgrid.client.MarketClient.Price;
import dev.fedgrid.client.MarketClient.Proposal;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SDK's market and ledger calls against a real gateway with two real nodes (see {@link TestGrid}): the owner is the
 * provider side, the data scientist ana the requestor.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MarketClientTest {
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
  void negotiatesAgreesAndPaysThroughTheLedger() {
    String node = owner.nodes().getFirst().id().value();
    String job = ana.submitJob(TestGrid.spec("market", 1, 3)).id().value();
    MarketClient provider = owner.market();
    MarketClient requestor = ana.market();

    var offer = provider.publishOffer(new OfferTerms(node, Map.of("fedgrid.inf.mem.gib", 16), null, new Price("2", Map.of())));
    var demand = requestor.publishDemand(new DemandTerms(job, Map.of(), "(fedgrid.inf.mem.gib>=8)", new Price("5", Map.of()), "40", Map.of()));
    assertThat(requestor.offers(new OfferQuery(null, null, demand.id(), false), null, 50).items()).extracting(o -> o.id()).containsExactly(offer.id());
    Proposal first = requestor.propose(offer.id(), demand.id());
    Proposal counter = provider.counter(first.id(), new MarketClient.Counter(null, null, new Price("3", Map.of()), null, null, null));
    assertThat(counter.estimate()).isEqualTo("3");
    Agreement a = requestor.createAgreement(counter.id(), 600L, null);
    requestor.confirm(a.id());
    assertThat(provider.approve(a.id()).state()).isEqualTo("APPROVED");
    assertThat(requestor.agreement(a.id()).history()).extracting(t -> t.event()).containsExactly("CONFIRM", "APPROVE");

    provider.deposit("user:ana", "10", "grant-1", "a grant");
    assertThat(provider.deposit("user:ana", "10", "grant-1", "a grant").reference()).isEqualTo("grant-1");
    assertThatThrownBy(() -> requestor.allocate(job, "10.01"))
        .isInstanceOf(ConflictException.class)
        .satisfies(e -> assertThat(((FedGridException) e).code()).isEqualTo("INSUFFICIENT_FUNDS"));
    var allocation = requestor.allocate(job, "6");
    var note = provider.issueDebitNote(a.id(), "2", null);
    assertThat(requestor.accept(DocumentKind.DEBIT_NOTE, note.id()).status()).isEqualTo("SETTLED");
    var invoice = provider.issueInvoice(a.id(), "3", "a last round");
    assertThat(requestor.accept(DocumentKind.INVOICE, invoice.id()).transfer()).startsWith("trf_");
    assertThat(requestor.allocation(allocation.id()).remaining()).isEqualTo("3");
    assertThat(provider.account("node:" + node).balance()).isEqualTo("3");
    assertThat(requestor.accounts()).extracting(x -> x.id()).contains("user:ana", "allocation:" + allocation.id());
    assertThat(requestor.transfers(null, 50)).hasSize(2);
    assertThat(requestor.documents(DocumentKind.INVOICE, a.id(), null, 50).items()).hasSize(1);
    assertThat(requestor.releaseAllocation(allocation.id()).state()).isEqualTo("released");
    assertThat(requestor.account("user:ana").balance()).isEqualTo("7");
  }

  @Test
  void errorsArriveAsTheSdksExceptions() {
    MarketClient market = ana.market();
    assertThatThrownBy(() -> market.offers(new OfferQuery("(&(a=1)", null, null, false), null, 50))
        .isInstanceOf(InvalidRequestException.class)
        .satisfies(e -> assertThat(((FedGridException) e).details()).containsKey("column"));
    assertThatThrownBy(() -> market.agreement("agr_01jd3v6q9e8r4k2m7n5p0s1t2w")).isInstanceOf(NotFoundException.class);
    assertThat(market.accounts()).extracting(x -> x.id()).first().isEqualTo("user:ana");
  }
}
