package dev.fedgrid.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.ResourceUsage;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.api.strategy.StrategyConfig;
import dev.fedgrid.gateway.GatewayServices;
import dev.fedgrid.gateway.access.Passwords;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.control.ControlServer;
import dev.fedgrid.gateway.fleet.FleetServer;
import dev.fedgrid.gateway.fleet.FleetServerOptions;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.gateway.json.Json;
import dev.fedgrid.gateway.market.Market;
import dev.fedgrid.gateway.market.MarketViews.DemandTerms;
import dev.fedgrid.gateway.market.MarketViews.OfferTerms;
import dev.fedgrid.gateway.market.MarketViews.Price;
import dev.fedgrid.gateway.payments.AccountId;
import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.ml.DjlTrainingEngine;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A budgeted market job end to end with real node daemons: the real gateway core (SQLite, the
 * coordinator, the market and ledger, the control API over HTTP and the fleet server on
 * 127.0.0.1) and three {@link NodeDaemon}s, each training with the DJL engine on its own third of
 * the breast-cancer CSV and each offering its work at a different price. The requestor's job trains
 * for a few rounds; each round brings one debit note per agreement, priced from the usage the
 * gateway metered; the end brings invoices, which the requestor accepts, and the ledger pays each
 * node exactly its invoice out of the job's allocation. The contribution report counts what each
 * node actually trained: its training split × epochs × rounds.
 */
@Timeout(180)
class MarketEndToEndTest {
  private static final String PASSWORD = "correct horse battery staple";
  private static final int ROUNDS = 3;
  private static final int EPOCHS = 2;
  private static final List<String> NAMES = List.of("hospital-a", "hospital-b", "hospital-c");
  /** Each node's price: fixed, then per example × epoch, per whole CPU second and per byte moved. */
  private static final Map<String, String[]> PRICES = Map.of(
      "hospital-a", new String[] {"1", "0.001", "0.5", "0.0001"},
      "hospital-b", new String[] {"2", "0.002", "0.25", "0.0002"},
      "hospital-c", new String[] {"0.5", "0.003", "0.1", "0.00005"});

  @TempDir Path dir;
  private SqlDatabase db;
  private GatewayServices services;
  private Coordinator coordinator;
  private FleetServer fleet;
  private ControlServer control;
  private HttpClient http;
  private final List<DjlTrainingEngine> engines = new ArrayList<>();
  private final List<NodeDaemon> nodes = new ArrayList<>();

  @BeforeEach
  void start() {
    db = SqlDatabase.sqlite(dir.resolve("gateway/gateway.db"));
    services = GatewayServices.of(db, Clock.systemUTC(), new Passwords(64, 1, 1));
    coordinator = services.coordinator(new CoordinatorOptions(Duration.ofMillis(200), Duration.ofSeconds(5), Duration.ofMillis(500), Duration.ofMillis(50)));
    coordinator.start();
    fleet = FleetServer.start(coordinator, services.activities(), "127.0.0.1", 0, FleetServerOptions.builder().shutdownTimeout(Duration.ofSeconds(2)).build(), null);
    control = services.controlServer(coordinator).start();
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void stop() {
    nodes.forEach(NodeDaemon::close);
    engines.forEach(DjlTrainingEngine::close);
    if (http != null) http.close();
    if (control != null) control.close();
    if (fleet != null) fleet.close();
    if (coordinator != null) coordinator.close();
    if (db != null) db.close();
  }

  @Test
  void aBudgetedJobOnThreeRealNodesIsBilledEachRoundInvoicedAtTheEndAndPaidExactlyItsInvoices() throws Exception {
    String ownerToken = services.identity().bootstrap().orElseThrow().token();
    Principal owner = services.identity().authenticate(ownerToken);
    services.identity().createUser(owner, "ana", "data-scientist", Optional.of(PASSWORD));
    String anaToken = services.identity().login("ana", PASSWORD, "127.0.0.1").token();
    Principal ana = services.identity().authenticate(anaToken);

    // three nodes, each with a third of the rows
    List<Path> csvs = splitCsv(NAMES.size());
    var ids = new LinkedHashMap<String, NodeId>();
    for (int i = 0; i < NAMES.size(); i++) {
      String name = NAMES.get(i);
      DjlTrainingEngine engine = DjlTrainingEngine.create(1);
      engines.add(engine);
      String join = services.joinTokens().issue(owner, Optional.of(name), Duration.ofHours(1)).token();
      NodeDaemon node = NodeDaemon.start(NodeConfig.builder().gateway("127.0.0.1", fleet.port()).nodeName(name).dataDir(dir.resolve(name))
          .dataset(DatasetOption.parse("name=cancer,path=" + csvs.get(i) + ",label=benign,test=0.2,tags=health,visibility=public"))
          .pollWait(Duration.ofSeconds(1)).heartbeatInterval(Duration.ofMillis(500)).reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
          .joinToken(join).build(), engine);
      nodes.add(node);
      ids.put(name, node.awaitRegistration(Duration.ofSeconds(30)));
    }
    // each node's training split, as it reported it; the three splits hold every row of the CSV
    var trainRows = new LinkedHashMap<String, Long>();
    long allRows = 0;
    for (String name : NAMES) {
      DatasetInfo d = services.store().datasets(Optional.of("cancer")).stream().filter(x -> x.nodeId().equals(ids.get(name))).findFirst().orElseThrow();
      assertThat(d.metadata().trainRows()).isPositive();
      trainRows.put(name, d.metadata().trainRows());
      allRows += d.metadata().trainRows() + d.metadata().testRows();
    }
    assertThat(allRows).isEqualTo(Files.readAllLines(source()).size() - 1);
    assertThat(trainRows.values()).doesNotHaveDuplicates(); // the rows split unevenly, so a mixed-up node would show

    // a market job (gated from submission), its demand with a budget, one offer per node at its own price
    TrainingConfig training = new TrainingConfig(EPOCHS, null, null, null, null, null);
    JobSpec spec = new JobSpec("market-e2e", List.of("cancer"), ModelSpec.logisticRegression(), training, new StrategyConfig.FedAvg(), ROUNDS, 3, 60, true)
        .withMarket(true);
    JobId job = coordinator.submitJob(ana, spec).id();
    Market market = services.market();
    String demand = market.publishDemand(ana, new DemandTerms(job.value(), Map.of(), "(fedgrid.dataset.tags=health)",
        new Price("5", Map.of("examples_epochs", "0.01", "cpu_seconds", "1", "bytes", "0.001")), "100", Map.of("examples_epochs", 1000L))).id();
    var agreements = new LinkedHashMap<String, String>();
    for (String name : NAMES) {
      String[] p = PRICES.get(name);
      String offer = market.publishOffer(owner, new OfferTerms(ids.get(name).value(), Map.of("fedgrid.dataset.tags", List.of("health")), null,
          new Price(p[0], Map.of("examples_epochs", p[1], "cpu_seconds", p[2], "bytes", p[3])))).id();
      String agreement = market.createAgreement(ana, market.propose(ana, offer, demand).id(), Optional.empty(), Optional.empty()).id();
      market.confirm(ana, agreement);
      agreements.put(name, agreement);
    }
    HttpResponse<String> deposited = send(ownerToken, "POST", "/api/v1/ledger/deposits", "{\"account\": \"user:ana\", \"amount\": \"500\"}");
    assertThat(deposited.statusCode()).as(deposited.body()).isEqualTo(201);
    HttpResponse<String> allocated = send(anaToken, "POST", "/api/v1/allocations", "{\"job\": \"" + job.value() + "\", \"amount\": \"300\"}");
    assertThat(allocated.statusCode()).as(allocated.body()).isEqualTo(201);
    String allocation = json(allocated).get("id").asText();
    // the provider side approves: only now may the job start
    for (String agreement : agreements.values()) market.approve(owner, agreement);

    Job done = awaitTerminal(ana, job);
    assertThat(done.state()).as(done.message()).isEqualTo(JobState.COMPLETED);
    List<RoundSummary> rounds = coordinator.rounds(ana, job);
    assertThat(rounds).hasSize(ROUNDS);

    // the contribution report: each node's training split × epochs × rounds
    JsonNode report = json(send(anaToken, "GET", "/api/v1/jobs/" + job.value() + "/contributions", null));
    long total = trainRows.values().stream().mapToLong(r -> r * EPOCHS * ROUNDS).sum();
    assertThat(report.get("examplesEpochs").asLong()).as(report.toString()).isEqualTo(total);
    assertThat(report.get("nodes")).hasSize(3);
    for (String name : NAMES) {
      JsonNode c = findBy(report.get("nodes"), "node", ids.get(name).value());
      assertThat(c.get("examplesEpochs").asLong()).as(name).isEqualTo(trainRows.get(name) * EPOCHS * ROUNDS);
      assertThat(c.get("rounds").asInt()).isEqualTo(ROUNDS);
    }

    // invoices come once the job ended
    Map<String, JsonNode> invoices = awaitInvoices(anaToken, agreements);
    BigDecimal invoiced = BigDecimal.ZERO;
    for (String name : NAMES) {
      String agreement = agreements.get(name);
      NodeId id = ids.get(name);
      String[] p = PRICES.get(name);
      // one debit note per round, each the cumulative price of the usage the gateway metered so far
      JsonNode notes = json(send(anaToken, "GET", "/api/v1/debit-notes?agreement=" + agreement + "&limit=50", null)).get("items");
      assertThat(notes).as(name + ": " + notes).hasSize(ROUNDS);
      List<BigDecimal> amounts = new ArrayList<>();
      notes.forEach(n -> amounts.add(new BigDecimal(n.get("amount").asText())));
      long examplesEpochs = 0;
      long cpuMicros = 0;
      long bytes = 0;
      BigDecimal expected = null;
      for (RoundSummary r : rounds) {
        assertThat(r.contributions().get(id)).as("round %d of %s", r.round(), name).isEqualTo(trainRows.get(name) * EPOCHS);
        ResourceUsage u = r.resources().get(id);
        assertThat(u).as("round %d of %s", r.round(), name).isNotNull();
        assertThat(u.bytesMoved()).as("parameters streamed both ways").isPositive();
        assertThat(u.cpuMicros()).as("the node measured its engine thread").isPositive();
        examplesEpochs += r.contributions().get(id);
        cpuMicros += u.cpuMicros();
        bytes += u.bytesMoved();
        expected = new BigDecimal(p[0])
            .add(new BigDecimal(p[1]).multiply(BigDecimal.valueOf(examplesEpochs)))
            .add(new BigDecimal(p[2]).multiply(BigDecimal.valueOf(cpuMicros / 1_000_000)))
            .add(new BigDecimal(p[3]).multiply(BigDecimal.valueOf(bytes)));
        BigDecimal want = expected;
        assertThat(amounts).as("round %d of %s", r.round(), name).anySatisfy(a -> assertThat(a).isEqualByComparingTo(want));
      }
      // the invoice is the last note; the requestor accepts it and the node is paid exactly that
      JsonNode invoice = invoices.get(name);
      BigDecimal amount = new BigDecimal(invoice.get("amount").asText());
      assertThat(amount).as(name).isEqualByComparingTo(expected).isEqualByComparingTo(amounts.stream().max(BigDecimal::compareTo).orElseThrow());
      assertThat(invoice.get("justification").asText()).as(name)
          .contains(cpuMicros / 1_000_000 + " CPU seconds").contains(bytes + " bytes moved");
      HttpResponse<String> accepted = send(anaToken, "POST", "/api/v1/invoices/" + invoice.get("id").asText() + "/accept", null);
      assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(200);
      assertThat(json(accepted).get("status").asText()).isEqualTo("SETTLED");
      invoiced = invoiced.add(amount);

      String account = AccountId.node(id.value()).value();
      JsonNode paid = json(send(ownerToken, "GET", "/api/v1/ledger/transfers?account=" + account + "&limit=100", null)).get("items");
      assertThat(paid).as(name).isNotEmpty();
      BigDecimal sum = BigDecimal.ZERO;
      for (JsonNode t : paid) {
        assertThat(t.get("to").asText()).isEqualTo(account);
        sum = sum.add(new BigDecimal(t.get("amount").asText()));
      }
      assertThat(sum).as(name).isEqualByComparingTo(amount);
    }
    assertThat(invoiced).isPositive();

    // the allocation paid the invoices; no account but the system's (which mints deposits) is negative; the books balance
    JsonNode alloc = json(send(anaToken, "GET", "/api/v1/allocations/" + allocation, null));
    assertThat(new BigDecimal(alloc.get("spent").asText())).isEqualByComparingTo(invoiced);
    JsonNode accounts = json(send(ownerToken, "GET", "/api/v1/ledger/accounts", null)).get("items");
    BigDecimal balance = BigDecimal.ZERO;
    for (JsonNode a : accounts) {
      BigDecimal b = new BigDecimal(a.get("balance").asText());
      if (!a.get("id").asText().equals(AccountId.SYSTEM.value())) assertThat(b).as(a.toString()).isGreaterThanOrEqualTo(BigDecimal.ZERO);
      balance = balance.add(b);
    }
    assertThat(balance).as(accounts.toString()).isZero();
  }

  /** The breast-cancer CSV dealt row by row into {@code parts} files, each with the header. */
  private List<Path> splitCsv(int parts) throws Exception {
    List<String> in = Files.readAllLines(source(), StandardCharsets.UTF_8);
    List<List<String>> out = new ArrayList<>();
    for (int k = 0; k < parts; k++) out.add(new ArrayList<>(List.of(in.getFirst())));
    // unequal shares (1 : 2 : 3), so that each node's contribution differs
    for (int i = 1; i < in.size(); i++) {
      int slot = (i - 1) % 6;
      out.get(slot == 0 ? 0 : slot < 3 ? 1 : 2).add(in.get(i));
    }
    List<Path> files = new ArrayList<>();
    for (int k = 0; k < parts; k++) {
      Path csv = dir.resolve("cancer-" + k + ".csv");
      Files.write(csv, out.get(k), StandardCharsets.UTF_8);
      files.add(csv);
    }
    return files;
  }

  private static Path source() {
    return Path.of(System.getProperty("user.dir")).getParent().resolve("data/breast_cancer_wisconsin.csv");
  }

  private Job awaitTerminal(Principal caller, JobId id) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      Job job = coordinator.job(caller, id);
      if (job.state().isTerminal()) return job;
      Thread.sleep(50);
    }
    throw new AssertionError("job " + id + " did not finish: " + coordinator.job(caller, id));
  }

  /** Each agreement's invoice, once the gateway has issued all of them. */
  private Map<String, JsonNode> awaitInvoices(String token, Map<String, String> agreements) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      var out = new LinkedHashMap<String, JsonNode>();
      for (var e : agreements.entrySet()) {
        JsonNode items = json(send(token, "GET", "/api/v1/invoices?agreement=" + e.getValue(), null)).get("items");
        if (items.size() == 1) out.put(e.getKey(), items.get(0));
        else assertThat(items).as("at most one invoice per agreement").isEmpty();
      }
      if (out.size() == agreements.size()) return out;
      if (System.nanoTime() > deadline) throw new AssertionError("invoices never came for every agreement: " + out.keySet());
      Thread.sleep(100);
    }
  }

  private static JsonNode findBy(JsonNode items, String field, String value) {
    for (JsonNode n : items) {
      if (n.get(field).asText().equals(value)) return n;
    }
    throw new AssertionError("no item with " + field + " " + value + " in " + items);
  }

  private HttpResponse<String> send(String token, String method, String path, String body) throws Exception {
    var b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + control.port() + path)).timeout(Duration.ofSeconds(20))
        .header("Content-Type", "application/json").header("Authorization", "Bearer " + token)
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
    return http.send(b.build(), BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> res) throws Exception {
    return Json.mapper().readTree(res.body());
  }
}
