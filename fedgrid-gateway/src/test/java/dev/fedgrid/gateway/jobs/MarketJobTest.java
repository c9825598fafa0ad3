package dev.fedgrid.gateway.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.job.ContributionReport;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.gateway.GatewayServices;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.access.TestIdentity;
import dev.fedgrid.gateway.fleet.NodeHello;
import dev.fedgrid.gateway.fleet.Registration;
import dev.fedgrid.gateway.market.Market;
import dev.fedgrid.gateway.market.MarketViews.AgreementView;
import dev.fedgrid.gateway.market.MarketViews.DemandTerms;
import dev.fedgrid.gateway.market.MarketViews.DocumentView;
import dev.fedgrid.gateway.market.MarketViews.OfferTerms;
import dev.fedgrid.gateway.market.MarketViews.Price;
import dev.fedgrid.gateway.payments.AccountId;
import dev.fedgrid.gateway.payments.Transfer;
import dev.fedgrid.gateway.state.JobEvent;
import dev.fedgrid.gateway.state.SqlDatabase;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Market jobs end to end: the real coordinator and market over one SQLite database (wired by
 * {@link GatewayServices}), in-process nodes ({@link CoordinatorTest.SimNode}), tasks only for nodes
 * with an approved agreement, a debit note per agreement and round, the hard cap stopping a node
 * ahead of time, invoices at the end paid through the ledger, and the contribution report.
 */
class MarketJobTest {
  private static final CoordinatorOptions FAST =
      new CoordinatorOptions(Duration.ofMillis(200), Duration.ofMillis(1500), Duration.ofMillis(500), Duration.ofMillis(50));
  private static final String PASSWORD = "correct horse battery staple";
  private static final long EPOCHS = TrainingConfig.defaults().epochs();

  @TempDir Path dir;
  private SqlDatabase db;
  private GatewayServices services;
  private Coordinator coordinator;
  private Market market;
  private Principal owner;
  private Principal ana;
  private final List<CoordinatorTest.SimNode> nodes = new ArrayList<>();

  @BeforeEach
  void start() {
    db = SqlDatabase.sqlite(dir.resolve("gateway.db"));
    services = GatewayServices.of(db, Clock.systemUTC(), TestIdentity.FAST);
    coordinator = services.coordinator(FAST);
    market = services.market();
    owner = services.identity().authenticate(services.identity().bootstrap().orElseThrow().token());
    services.identity().createUser(owner, "ana", "data-scientist", Optional.of(PASSWORD));
    ana = services.identity().authenticate(services.identity().login("ana", PASSWORD, "127.0.0.1").token());
    coordinator.start();
  }

  @AfterEach
  void stop() {
    nodes.forEach(CoordinatorTest.SimNode::stop);
    coordinator.close();
    db.close();
  }

  @Test
  void onlyNodesWithAnApprovedAgreementGetTasks() throws Exception {
    Registration ra = register("a", 100);
    Registration rb = register("b", 100);
    Job job = submitWhileOffline(spec(1, 2), ra, rb);
    String demand = demand(job.id(), "100");
    approve(agreement(offer(ra.nodeId(), "1", "0.001"), demand));
    AgreementView forB = agreement(offer(rb.nodeId(), "1", "0.001"), demand); // confirmed, not yet approved
    CoordinatorTest.SimNode a = start(ra, 100);
    CoordinatorTest.SimNode b = start(rb, 100);

    awaitMessage(job.id(), "waiting for 2 node(s) with an approved agreement: 1 approved");
    Thread.sleep(300); // a few scheduler passes
    assertThat(coordinator.job(job.id()).state()).isEqualTo(JobState.QUEUED);
    assertThat(a.tasks).isEmpty();
    assertThat(b.tasks).isEmpty();

    market.approve(owner, forB.id());
    assertThat(awaitTerminal(job.id()).state()).isEqualTo(JobState.COMPLETED);
    assertThat(a.tasks).isNotEmpty();
    assertThat(b.tasks).isNotEmpty();
  }

  @Test
  void jobsWithoutADemandAreNotGated() throws Exception {
    start(register("a", 100), 100);
    start(register("b", 100), 100);
    Job done = awaitTerminal(coordinator.submitJob(ana, spec(1, 2)).id());
    assertThat(done.state()).isEqualTo(JobState.COMPLETED);
    assertThat(done.spec().market()).isFalse();
    assertThat(market.approvedNodes(done.id())).isEmpty();
  }

  @Test
  void aJobDeclaredAMarketJobAtSubmissionIsGatedBeforeItsDemandExists() throws Exception {
    Registration ra = register("a", 100);
    Registration rb = register("b", 100);
    CoordinatorTest.SimNode a = start(ra, 100);
    CoordinatorTest.SimNode b = start(rb, 100);
    Job job = coordinator.submitJob(ana, spec(1, 2).withMarket(true));
    assertThat(job.spec().market()).isTrue();
    assertThat(market.approvedNodes(job.id())).contains(java.util.Set.of());

    // both nodes are online and free, but no demand and no agreement: the job waits
    awaitMessage(job.id(), "waiting for 2 node(s) with an approved agreement: 0 approved");
    Thread.sleep(300); // a few scheduler passes
    assertThat(coordinator.job(job.id()).state()).isEqualTo(JobState.QUEUED);
    assertThat(a.tasks).isEmpty();
    assertThat(b.tasks).isEmpty();

    String demand = demand(job.id(), "100");
    approve(agreement(offer(ra.nodeId(), "1", "0.001"), demand));
    approve(agreement(offer(rb.nodeId(), "1", "0.001"), demand));
    assertThat(awaitTerminal(job.id()).state()).isEqualTo(JobState.COMPLETED);
    assertThat(a.tasks).isNotEmpty();
    assertThat(b.tasks).isNotEmpty();
  }

  @Test
  void aBudgetedJobOnThreeNodesIsBilledEachRoundInvoicedAtTheEndAndPaidExactlyItsInvoices() throws Exception {
    int rounds = 3;
    Map<String, String> perUnit = Map.of("a", "0.001", "b", "0.002", "c", "0.003");
    Map<String, Long> rows = Map.of("a", 100L, "b", 200L, "c", 300L);
    var registered = new java.util.LinkedHashMap<String, Registration>();
    for (String name : List.of("a", "b", "c")) registered.put(name, register(name, rows.get(name)));
    Job job = submitWhileOffline(spec(rounds, 3), registered.values().toArray(Registration[]::new));
    String demand = demand(job.id(), "100");
    var agreements = new java.util.LinkedHashMap<String, AgreementView>();
    for (String name : registered.keySet()) {
      agreements.put(name, approve(agreement(offer(registered.get(name).nodeId(), "1", perUnit.get(name)), demand)));
    }
    market.deposit(owner, "user:ana", "300", Optional.empty(), null);
    String allocation = market.allocate(ana, job.id().value(), "200").id();
    registered.forEach((name, r) -> start(r, rows.get(name)));

    Job done = awaitTerminal(job.id());
    assertThat(done.state()).isEqualTo(JobState.COMPLETED);

    // the contribution report matches the examples processed
    List<RoundSummary> summaries = coordinator.rounds(ana, job.id());
    ContributionReport report = ContributionReport.of(job.id(), summaries);
    long total = rows.values().stream().mapToLong(r -> r * EPOCHS * rounds).sum();
    assertThat(report.examplesEpochs()).isEqualTo(total);
    assertThat(report.nodes()).hasSize(3);
    for (String name : rows.keySet()) {
      NodeId id = NodeId.of(agreements.get(name).node());
      ContributionReport.NodeContribution c = report.nodes().stream().filter(n -> n.node().equals(id)).findFirst().orElseThrow();
      assertThat(c.examplesEpochs()).isEqualTo(rows.get(name) * EPOCHS * rounds);
      assertThat(c.rounds()).isEqualTo(rounds);
      assertThat(c.share()).isCloseTo((double) rows.get(name) * EPOCHS * rounds / total, org.assertj.core.data.Offset.offset(1e-12));
    }

    // a debit note per agreement and round with the cumulative total; then an invoice with the final total
    BigDecimal invoiced = BigDecimal.ZERO;
    for (String name : List.of("a", "b", "c")) {
      AgreementView a = market.agreement(ana, agreements.get(name).id());
      assertThat(a.state()).isEqualTo("TERMINATED");
      List<DocumentView> notes = market.documents(ana, "debit_note", Optional.of(a.id()), "", 50).items();
      assertThat(notes).hasSize(rounds);
      for (int r = 1; r <= rounds; r++) {
        BigDecimal expected = new BigDecimal(perUnit.get(name)).multiply(BigDecimal.valueOf(rows.get(name) * EPOCHS * r)).add(BigDecimal.ONE);
        int round = r;
        assertThat(notes).anySatisfy(n -> assertThat(new BigDecimal(n.amount())).as("round %d of %s", round, name).isEqualByComparingTo(expected));
      }
      DocumentView last = notes.stream().max((x, y) -> new BigDecimal(x.amount()).compareTo(new BigDecimal(y.amount()))).orElseThrow();
      market.accept(ana, "debit_note", last.id());
      DocumentView invoice = market.documents(ana, "invoice", Optional.of(a.id()), "", 50).items().getFirst();
      assertThat(new BigDecimal(invoice.amount())).isEqualByComparingTo(last.amount());
      assertThat(market.accept(ana, "invoice", invoice.id()).status()).isEqualTo("SETTLED");
      invoiced = invoiced.add(new BigDecimal(invoice.amount()));

      AccountId payee = AccountId.node(a.node());
      List<Transfer> paid = market.ledger().transfers(Optional.of(payee), 100);
      assertThat(paid.stream().map(t -> t.amount().amount()).reduce(BigDecimal.ZERO, BigDecimal::add)).isEqualByComparingTo(invoice.amount());
    }
    assertThat(events(job.id(), "debit_notes")).hasSize(rounds);
    assertThat(events(job.id(), "invoices")).hasSize(1);
    assertThat(new BigDecimal(market.allocation(ana, allocation).spent())).isEqualByComparingTo(invoiced);
    assertThat(market.ledger().accounts()).allSatisfy(acc -> {
      if (!acc.id().equals(AccountId.SYSTEM)) assertThat(acc.balance()).isGreaterThanOrEqualTo(BigDecimal.ZERO);
    });
    assertThat(market.ledger().accounts().stream().map(x -> x.balance()).reduce(BigDecimal.ZERO, BigDecimal::add)).isZero();
  }

  @Test
  void theHardCapStopsANodeBeforeTheRoundThatWouldExceedIt() throws Exception {
    int rounds = 4;
    Registration rCapped = register("capped", 100);
    Registration rCheap = register("cheap", 100);
    Job job = submitWhileOffline(spec(rounds, 1), rCapped, rCheap);
    // capped: 0.01 × 100 × epochs per round; the budget (the hard cap) holds two and a half rounds
    BigDecimal perRound = new BigDecimal("0.01").multiply(BigDecimal.valueOf(100 * EPOCHS));
    String demand = demand(job.id(), perRound.multiply(new BigDecimal("2.5")).toPlainString());
    AgreementView a = approve(agreement(offer(rCapped.nodeId(), "0", "0.01"), demand));
    approve(agreement(offer(rCheap.nodeId(), "0", "0.0001"), demand));
    CoordinatorTest.SimNode capped = start(rCapped, 100);
    CoordinatorTest.SimNode cheap = start(rCheap, 100);

    Job done = awaitTerminal(job.id());
    assertThat(done.state()).isEqualTo(JobState.COMPLETED);
    List<RoundSummary> summaries = coordinator.rounds(ana, job.id());
    assertThat(summaries).extracting(r -> r.contributions().containsKey(capped.id)).containsExactly(true, true, false, false);
    assertThat(summaries).allSatisfy(r -> assertThat(r.contributions()).containsKey(cheap.id));

    AgreementView after = market.agreement(ana, a.id());
    assertThat(after.state()).isEqualTo("TERMINATED");
    assertThat(after.history().getLast().reason()).startsWith("hard cap");
    List<DocumentView> notes = market.documents(ana, "debit_note", Optional.of(a.id()), "", 50).items();
    assertThat(notes).hasSize(2).allSatisfy(n -> assertThat(new BigDecimal(n.amount())).isLessThanOrEqualTo(new BigDecimal(after.hardCap())));
    DocumentView invoice = market.documents(ana, "invoice", Optional.of(a.id()), "", 50).items().getFirst();
    assertThat(new BigDecimal(invoice.amount())).isEqualByComparingTo(perRound.multiply(BigDecimal.TWO));
    assertThat(events(job.id(), "hard_cap")).singleElement().satisfies(e -> assertThat(e.message()).contains(capped.id.value()).contains("round 2"));
  }

  @Test
  void cpuSecondsAndBytesMovedAreMeteredPerRoundAndBilledWithTheAgreedCoefficients() throws Exception {
    int rounds = 2;
    Registration ra = register("a", 100);
    Registration rb = register("b", 200);
    Job job = submitWhileOffline(spec(rounds, 2), ra, rb);
    String demand = market.publishDemand(ana, new DemandTerms(job.id().value(), Map.of(), "(fedgrid.dataset.tags=health)",
        new Price("5", Map.of("examples_epochs", "0.01", "cpu_seconds", "1", "bytes", "0.001")), "1000", Map.of("examples_epochs", 100L))).id();
    Map<String, String[]> coefficients = Map.of("a", new String[] {"0.001", "0.5", "0.0001"}, "b", new String[] {"0.002", "0.25", "0.0002"});
    Map<String, Registration> byName = Map.of("a", ra, "b", rb);
    var agreements = new java.util.LinkedHashMap<String, AgreementView>();
    for (String name : List.of("a", "b")) {
      Registration r = byName.get(name);
      String[] c = coefficients.get(name);
      String offer = market.publishOffer(owner, new OfferTerms(r.nodeId().value(), Map.of("fedgrid.dataset.tags", List.of("health")), null,
          new Price("1", Map.of("examples_epochs", c[0], "cpu_seconds", c[1], "bytes", c[2])))).id();
      agreements.put(name, approve(agreement(offer, demand)));
    }
    // each fit task reports 1.5 CPU seconds, each evaluate task 0.25: 1.75 a round
    Map<String, CoordinatorTest.SimNode> sims = Map.of("a", start(ra, 100), "b", start(rb, 200));
    sims.values().forEach(n -> {
      n.fitCpuMicros.set(1_500_000);
      n.evalCpuMicros.set(250_000);
    });

    assertThat(awaitTerminal(job.id()).state()).isEqualTo(JobState.COMPLETED);
    List<RoundSummary> summaries = coordinator.rounds(ana, job.id());
    // bytes moved per round: the parameters fetched for fit and for evaluate, and the update pushed, all of one encoded size
    long encoded = dev.fedgrid.core.tensor.TensorCodec.encode(services.store().latestCheckpoint(job.id()).orElseThrow().parameters()).length;
    for (RoundSummary r : summaries) {
      assertThat(r.resources()).containsOnlyKeys(ra.nodeId(), rb.nodeId());
      assertThat(r.resources().values()).allSatisfy(u -> assertThat(u).isEqualTo(new dev.fedgrid.api.job.ResourceUsage(1_750_000, 3 * encoded)));
      // the contribution measure stays examples × epochs, whatever the time spent
      assertThat(r.contributions()).containsEntry(ra.nodeId(), 100 * EPOCHS).containsEntry(rb.nodeId(), 200 * EPOCHS);
    }

    for (String name : List.of("a", "b")) {
      String[] c = coefficients.get(name);
      long rows = name.equals("a") ? 100 : 200;
      List<DocumentView> notes = market.documents(ana, "debit_note", Optional.of(agreements.get(name).id()), "", 50).items();
      assertThat(notes).hasSize(rounds);
      for (int k = 1; k <= rounds; k++) {
        long cpuSeconds = 1_750_000L * k / 1_000_000; // the cumulative CPU time in whole seconds, rounded down: 1, then 3
        BigDecimal expected = BigDecimal.ONE
            .add(new BigDecimal(c[0]).multiply(BigDecimal.valueOf(rows * EPOCHS * k)))
            .add(new BigDecimal(c[1]).multiply(BigDecimal.valueOf(cpuSeconds)))
            .add(new BigDecimal(c[2]).multiply(BigDecimal.valueOf(3 * encoded * k)));
        int round = k;
        assertThat(notes).anySatisfy(n -> assertThat(new BigDecimal(n.amount())).as("round %d of %s", round, name).isEqualByComparingTo(expected));
      }
      DocumentView invoice = market.documents(ana, "invoice", Optional.of(agreements.get(name).id()), "", 50).items().getFirst();
      BigDecimal last = notes.stream().map(n -> new BigDecimal(n.amount())).max(BigDecimal::compareTo).orElseThrow();
      assertThat(new BigDecimal(invoice.amount())).isEqualByComparingTo(last);
      assertThat(invoice.justification()).contains("3 CPU seconds").contains(6 * encoded + " bytes moved");
    }
  }

  // ------------------------------------------------------------------ helpers

  private static JobSpec spec(int rounds, int minNodes) {
    return new JobSpec("market", List.of("cancer"), ModelSpec.logisticRegression(), TrainingConfig.defaults(), new StrategyConfig.FedAvg(), rounds, minNodes, 10, true);
  }

  private String offer(NodeId node, String fixed, String perExampleEpoch) {
    return market.publishOffer(owner, new OfferTerms(node.value(), Map.of("fedgrid.dataset.tags", List.of("health")), null,
        new Price(fixed, Map.of("examples_epochs", perExampleEpoch)))).id();
  }

  private String demand(JobId job, String budget) {
    return market.publishDemand(ana, new DemandTerms(job.value(), Map.of(), "(fedgrid.dataset.tags=health)",
        new Price("5", Map.of("examples_epochs", "0.01")), budget, Map.of("examples_epochs", 100L))).id();
  }

  /** A confirmed agreement, waiting for the provider's approval. */
  private AgreementView agreement(String offer, String demand) {
    AgreementView a = market.createAgreement(ana, market.propose(ana, offer, demand).id(), Optional.empty(), Optional.empty());
    return market.confirm(ana, a.id());
  }

  private AgreementView approve(AgreementView a) {
    return market.approve(owner, a.id());
  }

  private List<JobEvent> events(JobId job, String type) throws InterruptedException {
    return coordinator.events(ana, job, 0, Duration.ZERO).stream().filter(e -> e.type().equals(type)).toList();
  }

  /**
   * Submits a job once its nodes are offline, so that it cannot start before its demand and
   * agreements are in place: a job is a market job from when its demand is published.
   */
  private Job submitWhileOffline(JobSpec spec, Registration... registered) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    for (Registration r : registered) {
      while (coordinator.online(r.nodeId())) {
        if (System.nanoTime() > deadline) throw new AssertionError("node " + r.nodeId() + " never went offline");
        Thread.sleep(20);
      }
    }
    return coordinator.submitJob(ana, spec);
  }

  private CoordinatorTest.SimNode start(Registration r, long rows) {
    var node = new CoordinatorTest.SimNode(coordinator, r, 1.0f, rows).start();
    nodes.add(node);
    return node;
  }

  private Registration register(String name, long rows) {
    String joinToken = services.joinTokens().issue(owner, Optional.of(name), Duration.ofHours(1)).token();
    var columns = List.of(new ColumnStats("x0", rows, 1.0, 2.0), new ColumnStats("x1", rows, -1.0, 0.5));
    var metadata = new DatasetMetadata("cancer", DatasetFormat.CSV, List.of(2), columns, LabelInfo.categorical("benign", List.of(rows / 2, rows - rows / 2)),
        rows, rows / 10, List.of("health"), Visibility.PUBLIC);
    return coordinator.register(new NodeHello(Optional.empty(), Optional.empty(), name, 2, 1024, "test", List.of(metadata), Optional.of(joinToken)));
  }

  private Job awaitTerminal(JobId id) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      Job job = coordinator.job(id);
      if (job.state().isTerminal() && !coordinator.hasRunner(id)) return job;
      Thread.sleep(20);
    }
    throw new AssertionError("job " + id + " did not finish: " + coordinator.job(id));
  }

  private void awaitMessage(JobId id, String text) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!coordinator.job(id).message().contains(text)) {
      if (System.nanoTime() > deadline) throw new AssertionError("job message never contained '" + text + "': " + coordinator.job(id).message());
      Thread.sleep(10);
    }
  }
}
