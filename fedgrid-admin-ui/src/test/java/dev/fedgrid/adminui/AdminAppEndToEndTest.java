package dev.fedgrid.adminui;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.governance.AuditEvent;
import dev.fedgrid.api.governance.BudgetRequest;
import dev.fedgrid.api.governance.ReleaseRequest;
import dev.fedgrid.api.governance.RequestState;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.Optimizer;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.client.ActivityClient;
import dev.fedgrid.client.AuditFilter;
import dev.fedgrid.client.FedGridClient;
import dev.fedgrid.client.MarketClient;
import dev.fedgrid.client.MarketClient.DocumentKind;
import dev.fedgrid.client.MarketClient.PaymentDocument;
import dev.fedgrid.gateway.Gateway;
import dev.fedgrid.gateway.GatewayConfig;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.node.DatasetOption;
import dev.fedgrid.node.NodeConfig;
import dev.fedgrid.security.CertificateRole;
import dev.fedgrid.security.IssueRequest;
import dev.fedgrid.security.ProjectCa;
import dev.fedgrid.security.TlsMaterial;
import dev.fedgrid.node.NodeDaemon;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The admin app against a real grid, in headless Chromium: a gateway started in this JVM on free
 * loopback ports (serving the app at {@code /admin/} from this module's files on the class path)
 * and two real node daemons training with the real engine on halves of the vendored breast-cancer
 * data, private to them. The gateway's owner (its one-time credential, read from the data
 * directory) creates a data scientist and a compliance officer through the API, enrols the nodes
 * with join tokens and grants the data scientist the right to train on both halves.
 *
 * <p>The story, one step per test, in order: the data scientist logs in and watches a running
 * job's charts grow round by round and is refused the held model, then files a release request in
 * the app; the compliance officer approves it in the app with a comment; the data scientist
 * downloads the model through the app; the officer denies a budget request in the app, finds both decisions in the audit view
 * and verifies the chain there. Screenshots of each main view with this real data go to {@code
 * target/screenshots/e2e-*.png} and are checked to be non-blank.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AdminAppEndToEndTest {
  private static final String DATASET = "cancer";
  private static final int ROUNDS = 6;
  private static final String SCIENTIST = "dana";
  private static final String OFFICER = "olga";
  private static final String PASSWORD = "correct horse battery staple";
  private static final int NON_BLANK_COLOURS = 30;
  private static final Duration SLOW = Duration.ofSeconds(30);

  @TempDir static Path dir;
  private static Gateway gateway;
  private static final List<NodeDaemon> nodes = new ArrayList<>();
  private static FedGridClient owner;
  private static FedGridClient scientist;
  private static FedGridClient officer;
  private static ChromeDriver driver;
  private static ProjectCa ca;
  private static Path downloads;
  private static JobId job;
  private static List<DatasetInfo> datasets;
  private static ReleaseRequest filed;
  private static JobId marketJob;
  /** The market job's agreements, by node name. */
  private static final Map<String, String> agreements = new LinkedHashMap<>();
  /** The owner's offer for each node, by node name, published once. */
  private static final Map<String, String> offers = new LinkedHashMap<>();

  /** The one-time owner credential of a fresh gateway, as written to its data directory. */
  record OwnerCredential(String user, String password, String token) {}

  @BeforeAll
  static void startGridAndBrowser() throws Exception {
    Browser.requireChromium();
    Path gatewayDir = dir.resolve("gateway");
    var timing = new CoordinatorOptions(Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofMillis(50));
    // on TLS, as gateways run by default: a throw-away CA issues the gateway's and the nodes' certificates
    ca = ProjectCa.create(dir.resolve("pki"), "Test CA", Duration.ofDays(30), InstantSource.system());
    Path gatewayTls = ca.issue(IssueRequest.of(CertificateRole.GATEWAY, "gw").withValidity(Duration.ofDays(1))).directory();
    gateway = Gateway.start(new GatewayConfig(gatewayDir, "127.0.0.1", 0, 0, timing).withTls(gatewayTls));
    OwnerCredential credential = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
        .readValue(gatewayDir.resolve(Gateway.OWNER_CREDENTIAL_FILE).toFile(), OwnerCredential.class);
    owner = client().token(credential.token()).build();
    owner.createUser(SCIENTIST, "data-scientist", PASSWORD);
    owner.createUser(OFFICER, "compliance-officer", PASSWORD);

    List<String> cancer = Files.readAllLines(repoFile("data/breast_cancer_wisconsin.csv"));
    for (int k = 0; k < 2; k++) {
      String name = "hospital-" + (char) ('a' + k);
      var half = new ArrayList<>(List.of(cancer.getFirst()));
      for (int row = 1 + k; row < cancer.size(); row += 2) half.add(cancer.get(row));
      Path csv = Files.write(dir.resolve(name + ".csv"), half);
      nodes.add(NodeDaemon.start(NodeConfig.builder()
          .gateway("127.0.0.1", gateway.fleetPort())
          .nodeName(name)
          .joinToken(owner.createJoinToken(name, 1).token())
          .dataDir(dir.resolve(name))
          .dataset(DatasetOption.parse("name=" + DATASET + ",path=" + csv + ",label=benign,test=0.2,tags=health,oncology,visibility=private"))
          .pollWait(Duration.ofSeconds(2))
          .tlsDir(ca.issue(IssueRequest.of(CertificateRole.NODE, name).withValidity(Duration.ofDays(1))).directory())
          .build()));
    }
    for (NodeDaemon node : nodes) node.awaitRegistration(SLOW);
    datasets = owner.datasets(DATASET, null);
    assertThat(datasets).hasSize(2);
    for (DatasetInfo d : datasets) owner.grantDataset(d.id(), SCIENTIST, true, false);

    scientist = client().build().login(SCIENTIST, PASSWORD);
    officer = client().build().login(OFFICER, PASSWORD);
    downloads = Files.createDirectories(dir.resolve("downloads"));
    // Chromium trusts the gateway's certificate by its public key alone (no system CA store to add the test CA to)
    driver = Browser.start(downloads, TlsMaterial.load(gatewayTls, InstantSource.system()).certificate());
    driver.manage().window().setSize(new Dimension(1280, 800));
  }

  @AfterAll
  static void stop() {
    if (driver != null) driver.quit();
    Stream.of(scientist, officer, owner).filter(c -> c != null).forEach(FedGridClient::close);
    nodes.forEach(NodeDaemon::close);
    if (gateway != null) gateway.close();
  }

  @Test
  @Order(1)
  void theDataScientistWatchesARunningJobsChartsGrowRoundByRound() throws Exception {
    logIn(SCIENTIST);
    // a market job waits, queued, until its nodes have approved agreements: the page is open and
    // empty before the first round, whatever the machine's speed
    var training = new TrainingConfig(60, 8, Optimizer.SGD, 0.05, 0.0, 7L);
    job = scientist.submitJob(new JobSpec("breast cancer logistic", List.of(DATASET), ModelSpec.logisticRegression(), training, null, ROUNDS, 2, 30, true)
        .withMarket(true)).id();
    open("jobs/" + job);
    awaitPositive("the job waiting for its agreements", () -> driver.findElement(By.id("job-head")).getText().contains("approved agreement") ? 1 : 0);
    assertThat(charts().getAttribute("data-state")).isEqualTo("queued");
    assertThat(charts().getAttribute("data-rounds")).isEqualTo("0");
    assertThat(points()).isZero();
    // record every number of rounds the charts show from now on, in this same page (no reload)
    driver.executeScript("window.fedgridTest = { rounds: [] };"
        + "new MutationObserver(() => window.fedgridTest.rounds.push(Number(document.getElementById('job-charts').dataset.rounds)))"
        + ".observe(document.getElementById('job-charts'), { attributes: true, attributeFilter: ['data-rounds'] });");
    String demand = scientist.market().publishDemand(demandFor(job)).id();
    for (String offer : offers().values()) owner.market().approve(confirmedAgreement(offer, demand));

    long first = awaitPositive("the first round on the chart", AdminAppEndToEndTest::points);
    long last = awaitPositive("every round on the chart",
        () -> "completed".equals(charts().getAttribute("data-state")) && points() >= 2L * ROUNDS ? points() : 0);
    @SuppressWarnings("unchecked")
    List<Long> seen = (List<Long>) driver.executeScript("return window.fedgridTest.rounds");
    assertThat(seen).as("rounds on the chart as the events came, in the page opened before the first").isSorted().endsWith((long) ROUNDS);
    assertThat(seen.stream().distinct().filter(r -> r > 0 && r < ROUNDS)).as("rounds drawn before the last: %s", seen).isNotEmpty();
    assertThat(first).as("points when the first round appeared").isLessThan(last);
    assertThat(last % ROUNDS).as("the same series (loss and accuracy) for every round: %s points", last).isZero();
    assertThat(charts().getAttribute("data-rounds")).isEqualTo(String.valueOf(ROUNDS));
    assertThat(scientist.job(job).state()).isEqualTo(JobState.COMPLETED);
    assertThat(driver.findElements(By.cssSelector("#job-rounds tbody tr"))).hasSize(ROUNDS);
    screenshot("e2e-job");

    // the job trained on private data: its model is held until a compliance officer approves
    driver.findElement(By.id("job-download")).click();
    WebElement refused = waitFor(By.cssSelector("#job-notes .error"));
    assertThat(refused.getText()).contains("Could not download the model").contains("release");
    // the report is not refused: it shows what may be seen while held
    assertThat(openReport()).contains("Job report: breast cancer logistic").contains("id=\"results-held\"").contains("data-action=\"job.submitted\"");

    open("jobs");
    assertThat(driver.findElement(By.id("jobs-list")).getText()).contains("breast cancer logistic");
    screenshot("e2e-jobs");
    open("dashboard");
    screenshot("e2e-dashboard");
  }

  @Test
  @Order(2)
  void theDataScientistFilesAReleaseRequestInTheApp() {
    logIn(SCIENTIST);
    open("jobs/" + job);
    waitFor(By.id("release-form"));
    driver.findElement(By.id("release-reason")).sendKeys("model for the oncology board's validation study");
    driver.findElement(By.id("release-submit")).click();
    WebElement pending = waitFor(By.id("release-pending"));
    assertThat(pending.getText()).contains("pending");
    filed = scientist.releaseRequests(RequestState.PENDING).stream().filter(r -> r.job().equals(job)).findFirst().orElseThrow();
    assertThat(filed.reason()).isEqualTo("model for the oncology board's validation study");
    assertThat(pending.findElement(By.tagName("a")).getText()).isEqualTo(filed.id().value());

    // back on the page, the pending request is shown instead of the form; its link opens the request
    open("jobs/" + job);
    waitFor(By.id("release-pending"));
    assertThat(driver.findElements(By.id("release-form"))).isEmpty();
    driver.findElement(By.cssSelector("#release-pending a")).click();
    waitReady("requests/" + filed.id().value());
    assertThat(waitFor(By.id("release-request")).getText()).contains("oncology board").contains("pending").contains(DATASET);
    assertThat(driver.findElements(By.cssSelector("#release-request button.approve"))).as("no approve button for the requester").isEmpty();
  }

  @Test
  @Order(3)
  void theComplianceOfficerApprovesTheReleaseRequestWithAComment() {
    logIn(OFFICER);
    open("requests");
    WebElement card = waitFor(By.cssSelector("#release-requests article[data-id='" + filed.id() + "']"));
    assertThat(card.getText()).contains(SCIENTIST).contains("oncology board");
    card.findElement(By.cssSelector("details summary")).click();
    awaitPositive("the request's context", () -> card.findElement(By.cssSelector(".review")).getText().matches("(?s).*Final metrics.*accuracy.*private.*") ? 1 : 0);
    String review = card.findElement(By.cssSelector(".review")).getText();
    assertThat(review).as("datasets by name, the requester's budgets").contains(DATASET).contains("privacy budgets").doesNotContain("ds_");
    screenshot("e2e-requests");

    card.findElement(By.tagName("textarea")).sendKeys("approved: aggregate model only, no rows leave");
    card.findElement(By.cssSelector("button.approve")).click();
    assertThat(waitFor(By.cssSelector("#requests-notes .notice")).getText()).contains(filed.id() + " approved");
    ReleaseRequest decided = officer.releaseReview(filed.id()).request();
    assertThat(decided.state()).isEqualTo(RequestState.APPROVED);
    assertThat(decided.decidedBy()).isEqualTo(OFFICER);
    assertThat(decided.comment()).isEqualTo("approved: aggregate model only, no rows leave");
  }

  @Test
  @Order(4)
  void theDataScientistThenDownloadsTheModelFromTheApp() throws Exception {
    logIn(SCIENTIST);
    open("jobs/" + job);
    driver.findElement(By.id("job-download")).click();
    assertThat(waitFor(By.cssSelector("#job-notes .notice")).getText()).startsWith("Downloaded ");
    long size = awaitPositive("the model in the download directory", () -> {
      try (Stream<Path> files = Files.list(downloads)) {
        return files.filter(f -> f.toString().endsWith(".safetensors")).mapToLong(AdminAppEndToEndTest::size).sum();
      } catch (IOException e) {
        return 0L;
      }
    });
    assertThat(size).as("bytes of the downloaded model").isGreaterThan(30 * 4); // 30 weights and a bias as float32, and a header
    assertThat(openReport()).contains("id=\"results-released\"").contains("data-action=\"release.approved\"").contains("data-action=\"model.downloaded\"");
  }

  @Test
  @Order(5)
  void theComplianceOfficerDeniesABudgetRequestInTheApp() {
    BudgetRequest filed = scientist.requestBudget(datasets.getFirst().id(), 2.0, "a DP-FedAvg run with 50 rounds");
    logIn(OFFICER);
    open("requests");
    WebElement card = waitFor(By.cssSelector("#budget-requests article[data-id='" + filed.id() + "']"));
    assertThat(card.getText()).contains(SCIENTIST).contains("DP-FedAvg run");
    card.findElement(By.tagName("textarea")).sendKeys("denied: use the existing budget first");
    card.findElement(By.cssSelector("button.deny")).click();
    assertThat(waitFor(By.cssSelector("#requests-notes .notice")).getText()).contains(filed.id() + " denied");
    assertThat(officer.budgetRequest(filed.id()).state()).isEqualTo(RequestState.DENIED);

    open("budgets");
    screenshot("e2e-budgets");
  }

  @Test
  @Order(6)
  void theAuditViewShowsBothDecisionsAndVerifiesTheChain() {
    logIn(OFFICER);
    open("audit");
    String text = driver.findElement(By.id("audit-list")).getText();
    assertThat(text).contains("release.approved").contains("budget.denied").contains("release.requested");
    List<AuditEvent> approvals = officer.auditEvents(new AuditFilter(null, "release.approved", null, null, null, 0, 100)).items();
    assertThat(approvals).singleElement().satisfies(e -> assertThat(e.actor()).isEqualTo(OFFICER));
    driver.findElement(By.id("audit-verify")).click();
    assertThat(waitFor(By.cssSelector("#audit-verdict .notice.ok")).getText()).contains("Intact");
    screenshot("e2e-audit");
  }

  @Test
  @Order(7)
  void everyOtherMainViewShowsTheRealGrid() {
    logIn("owner", ownerPassword());
    open("nodes");
    assertThat(driver.findElement(By.id("main")).getText()).contains("hospital-a").contains("hospital-b");
    screenshot("e2e-nodes");
    open("datasets");
    assertThat(driver.findElement(By.id("main")).getText()).contains(DATASET);
    screenshot("e2e-datasets");
    open("datasets/" + datasets.getFirst().id());
    assertThat(driver.findElement(By.id("main")).getText()).contains(SCIENTIST);
    screenshot("e2e-dataset");
    open("users");
    assertThat(driver.findElement(By.id("main")).getText()).contains(SCIENTIST).contains(OFFICER);
    screenshot("e2e-users");
    open("roles");
    assertThat(driver.findElement(By.id("main")).getText()).contains("compliance-officer");
    screenshot("e2e-roles");
    open("settings");
    screenshot("e2e-settings");
  }

  @Test
  @Order(8)
  void theProviderSeesTheMarketAndApprovesAnAgreementInTheApp() {
    // a market job: gated until its nodes have approved agreements; offers, demand and agreements through the SDK
    MarketClient provider = owner.market();
    MarketClient requestor = scientist.market();
    var training = new TrainingConfig(2, 16, Optimizer.SGD, 0.05, 0.0, 7L);
    marketJob = scientist.submitJob(new JobSpec("market logistic", List.of(DATASET), ModelSpec.logisticRegression(), training, null, 2, 2, 30, true).withMarket(true)).id();
    String demand = requestor.publishDemand(demandFor(marketJob)).id();
    offers().forEach((node, offer) -> agreements.put(node, confirmedAgreement(offer, demand)));
    assertThat(agreements).containsOnlyKeys("hospital-a", "hospital-b");

    logIn("owner", ownerPassword());
    open("offers");
    assertThat(driver.findElement(By.id("offers-list")).getText()).contains("hospital-a").contains("hospital-b")
        .contains("fedgrid.dataset.tags = health, oncology").contains("0.0001 per examples × epochs");
    screenshot("e2e-offers");
    // a constraint that does not parse: the API's 400 with its caret, on the page
    driver.findElement(By.id("offers-constraint")).sendKeys("(&(fedgrid.inf.cpu.cores>=1)");
    driver.findElement(By.cssSelector("#offers-search button[type=submit]")).click();
    assertThat(waitFor(By.cssSelector("#offers-list .error")).getText()).contains("Could not list the offers").contains("invalid constraint").contains("400 INVALID_CONSTRAINT");

    open("demands");
    assertThat(driver.findElement(By.id("demands-list")).getText()).contains(marketJob.value()).contains(SCIENTIST).contains("(fedgrid.dataset.tags=oncology)");
    screenshot("e2e-demands");
    open("agreements");
    String list = driver.findElement(By.id("agreements-list")).getText();
    assertThat(list).contains(agreements.get("hospital-a")).contains(agreements.get("hospital-b")).contains("pending").contains("the provider to approve");
    screenshot("e2e-agreements");

    // the provider approves hospital-a's agreement in the app
    String a = agreements.get("hospital-a");
    open("agreements/" + a);
    assertThat(driver.findElements(By.cssSelector("#agreement-actions button.agreement-confirm"))).as("confirming is the requestor's").isEmpty();
    driver.findElement(By.cssSelector("#agreement-actions button.agreement-approve")).click();
    assertThat(waitFor(By.cssSelector("#agreement-notes .notice")).getText()).contains("Agreement " + a + " approved: now approved");
    assertThat(provider.agreement(a).state()).isEqualTo("APPROVED");
    awaitPositive("the approval in the history", () -> driver.findElements(By.cssSelector("#agreement-history tbody tr")).size() == 2 ? 1 : 0);
    assertThat(driver.findElement(By.id("agreement-history")).getText()).contains("approve").contains("owner");
    assertThat(driver.findElements(By.cssSelector("#agreement-actions button.agreement-terminate"))).hasSize(1);
    screenshot("e2e-agreement");

    // hospital-b's page still offers Approve, but someone approves it first: the API's refusal is shown, nothing breaks
    String b = agreements.get("hospital-b");
    open("agreements/" + b);
    WebElement approve = driver.findElement(By.cssSelector("#agreement-actions button.agreement-approve"));
    provider.approve(b); // the job starts at once and may even finish (terminating both) before the click
    approve.click();
    assertThat(waitFor(By.cssSelector("#agreement-notes .error")).getText())
        .contains("Could not approve agreement " + b).contains("PROVIDER cannot APPROVE it").contains("409 AGREEMENT_STATE_CONFLICT");
    assertThat(driver.findElement(By.id("agreement-head")).getText()).as("the page is left as it was").contains("pending");
  }

  @Test
  @Order(9)
  void theRequestorPaysInTheAppAndTheJobPageShowsItsCost() throws Exception {
    MarketClient requestor = scientist.market();
    owner.market().deposit("user:" + SCIENTIST, "100", null, "research grant");
    String allocation = requestor.allocate(marketJob.value(), "50").id();
    long done = awaitPositive("the market job to complete", () -> scientist.job(marketJob).state() == JobState.COMPLETED ? 1 : 0);
    assertThat(done).isOne();
    String a = agreements.get("hospital-a");
    String b = agreements.get("hospital-b");
    PaymentDocument invoiceA = awaitDocument(requestor, DocumentKind.INVOICE, a);
    PaymentDocument invoiceB = awaitDocument(requestor, DocumentKind.INVOICE, b);
    List<PaymentDocument> notesB = requestor.documents(DocumentKind.DEBIT_NOTE, b, null, 50).items();
    assertThat(notesB).as("a debit note per round").hasSize(2);
    PaymentDocument firstNoteB = notesB.stream().min(java.util.Comparator.comparing(PaymentDocument::issuedAt)).orElseThrow();

    logIn(SCIENTIST);
    open("payments");
    String page = driver.findElement(By.id("main")).getText();
    assertThat(page).contains("user:" + SCIENTIST).contains("your money").contains(allocation).contains(invoiceA.id()).contains(firstNoteB.id());
    assertThat(row("ledger-accounts", "user:" + SCIENTIST).getText()).contains("50 cr"); // 100 deposited, 50 allocated
    assertThat(row("allocations-list", allocation).getText()).contains("active").contains(marketJob.value());

    // reject hospital-b's first debit note with a reason (a prompt), accept hospital-a's invoice
    documentRow(firstNoteB.id()).findElement(By.cssSelector("button.document-reject")).click();
    var prompt = wait(SLOW).until(ExpectedConditions.alertIsPresent());
    prompt.sendKeys("round 1 was billed twice");
    prompt.accept();
    awaitText(By.cssSelector("#payments-notes .notice"), "Debit note " + firstNoteB.id() + " rejected");
    PaymentDocument rejected = requestor.document(DocumentKind.DEBIT_NOTE, firstNoteB.id());
    assertThat(rejected.status()).isEqualTo("REJECTED");
    assertThat(rejected.reason()).isEqualTo("round 1 was billed twice");

    documentRow(invoiceA.id()).findElement(By.cssSelector("button.document-accept")).click();
    awaitText(By.cssSelector("#payments-notes .notice"), "Invoice " + invoiceA.id() + " accepted: settled by transfer trf_");
    assertThat(requestor.document(DocumentKind.INVOICE, invoiceA.id()).status()).isEqualTo("SETTLED");
    BigDecimal remaining = new BigDecimal(requestor.allocation(allocation).remaining());
    assertThat(remaining).isEqualByComparingTo(new BigDecimal("50").subtract(new BigDecimal(invoiceA.amount())));
    assertThat(documentRow(invoiceA.id()).getText()).contains("settled");
    assertThat(documentRow(invoiceA.id()).findElements(By.tagName("button"))).as("nothing more to do on a settled invoice").isEmpty();
    screenshot("e2e-payments");

    // narrow: the page scrolls its tables, never the whole window sideways
    driver.manage().window().setSize(new Dimension(400, 800));
    try {
      open("payments");
      assertThat((Long) driver.executeScript("return document.documentElement.scrollWidth - window.innerWidth")).as("sideways overflow at 400 px").isLessThanOrEqualTo(0L);
      screenshot("e2e-payments-narrow");
    } finally {
      driver.manage().window().setSize(new Dimension(1280, 800));
    }

    // the job page: each node's contribution next to what its agreement billed and what is paid
    open("jobs/" + marketJob);
    wait(SLOW).until(d -> "completed:2".equals(d.findElement(By.id("job-cost")).getAttribute("data-ready")));
    WebElement cost = driver.findElement(By.id("job-cost"));
    BigDecimal billed = new BigDecimal(invoiceA.amount()).add(new BigDecimal(invoiceB.amount()));
    assertThat(cost.findElement(By.id("job-cost-total")).getText())
        .contains(billed.stripTrailingZeros().toPlainString() + " cr billed")
        .contains(new BigDecimal(invoiceA.amount()).stripTrailingZeros().toPlainString() + " paid")
        .contains("under 2 agreement(s)");
    // the data scientist may not list nodes, so they appear by id
    assertThat(cost.getText()).contains(requestor.agreement(a).node()).contains(requestor.agreement(b).node()).contains(a).contains(b).contains("invoice");
    assertThat(cost.findElements(By.cssSelector("tbody tr"))).hasSize(2);
    driver.executeScript("arguments[0].scrollIntoView()", cost);
    screenshot("e2e-job-cost");
  }

  @Test
  @Order(10)
  void theDataScientistRunsAScriptInAnActivityOnARealNode() {
    // an agreement that stays APPROVED: a market job that needs two nodes but gets one, so it waits
    MarketClient requestor = scientist.market();
    var training = new TrainingConfig(1, 16, Optimizer.SGD, 0.05, 0.0, 7L);
    JobId waiting = scientist.submitJob(new JobSpec("activity host", List.of(DATASET), ModelSpec.logisticRegression(), training, null, 1, 2, 30, true)
        .withMarket(true)).id();
    String demand = requestor.publishDemand(demandFor(waiting)).id();
    String agreement = confirmedAgreement(offers().get("hospital-a"), demand);
    owner.market().approve(agreement);
    // results come back at once, without a release request: the private dataset needs the download right too
    DatasetInfo hosted = datasets.stream().filter(d -> d.nodeId().value().equals(requestor.agreement(agreement).node())).findFirst().orElseThrow();
    owner.grantDataset(hosted.id(), SCIENTIST, true, true);
    ActivityClient activities = scientist.activities();

    logIn(SCIENTIST);
    open("agreements/" + agreement);
    waitFor(By.id("activity-create")).click();
    wait(SLOW).until(d -> String.valueOf(d.findElement(By.id("main")).getAttribute("data-ready")).startsWith("activities/act_"));
    String activity = driver.findElement(By.id("main")).getAttribute("data-ready").substring("activities/".length());
    assertThat(activities.activity(activity).agreement()).isEqualTo(agreement);
    assertThat(driver.findElement(By.id("activity-head")).getText()).contains("new");
    WebElement script = waitFor(By.id("script-text"));
    String example = script.getAttribute("value");
    assertThat(example).as("the example names a dataset of the agreement's node").contains(hosted.id().value());

    // a malformed command: the API's 400 names its index, and nothing is queued
    script.clear();
    script.sendKeys("[{\"deploy\": {\"model\": {\"layers\": [{\"type\": \"dense\", \"units\": 1}], \"loss\": \"binary_cross_entropy\"}, \"dataset\": \""
        + hosted.id() + "\"}}, {\"start\": {}}, {\"run\": {\"kind\": \"fly\"}}]");
    driver.findElement(By.id("script-submit")).click();
    WebElement refused = waitFor(By.cssSelector("#script-status .error"));
    assertThat(refused.getText()).contains("Could not run the script").contains("400 INVALID_COMMAND").contains("At command 2, field commands[2].run.kind");
    assertThat(activities.activity(activity).batches()).as("a refused script changes nothing").isEmpty();

    // the documented example, as the page offers it: deploy, start, fit, evaluate, terminate on hospital-a
    script.clear();
    script.sendKeys(example);
    driver.executeScript("window.fedgridTest = { results: [] };"
        + "new MutationObserver(() => document.querySelectorAll('#activity-batches article.batch').forEach(b => window.fedgridTest.results.push(Number(b.dataset.results))))"
        + ".observe(document.getElementById('activity-batches'), { childList: true, subtree: true });");
    driver.findElement(By.id("script-submit")).click();
    awaitText(By.cssSelector("#activity-notes .notice"), " done: 5 of 5 command(s) reported");
    @SuppressWarnings("unchecked")
    List<Long> seen = (List<Long>) driver.executeScript("return window.fedgridTest.results");
    assertThat(seen).as("results on the page as the node reported them").isSorted().endsWith(5L);

    String batchId = activities.activity(activity).batches().getFirst().id();
    ActivityClient.Batch batch = activities.batch(activity, batchId);
    assertThat(batch.succeeded()).as(batch.toString()).isTrue();
    WebElement shown = waitFor(By.cssSelector("#activity-batches article.batch[data-id='" + batchId + "']"));
    assertThat(shown.getAttribute("data-state")).isEqualTo("done");
    List<WebElement> rows = shown.findElements(By.cssSelector("tbody tr"));
    assertThat(rows).hasSize(5);
    List<String> names = List.of("deploy", "start", "run", "run", "terminate");
    for (int i = 0; i < 5; i++) {
      ActivityClient.Result result = batch.results().get(i);
      List<WebElement> cells = rows.get(i).findElements(By.tagName("td"));
      assertThat(cells.subList(0, 2)).extracting(WebElement::getText).as("row %s", i).containsExactly(String.valueOf(i), names.get(i));
      assertThat(cells.get(3).getText()).as("row %s", i).isEqualTo("ok");
      String row = rows.get(i).getText();
      assertThat(row).as("row %s", i).contains(result.message());
      for (var datum : result.data().entrySet()) {
        if (datum.getValue() instanceof String text) assertThat(row).as("row %s", i).contains(datum.getKey() + " = " + text);
        else assertThat(row).as("row %s", i).contains(datum.getKey() + " = ");
      }
    }
    assertThat(rows.get(0).getText()).contains("parameters = 31");
    assertThat(rows.get(2).getText()).contains("loss = ").contains("examples = " + hosted.metadata().trainRows());
    assertThat(rows.get(3).getText()).contains("accuracy = ");
    // the terminate command ended the activity; the page shows it so, with the filtered log
    assertThat(activities.activity(activity).state()).isEqualTo("TERMINATED");
    assertThat(driver.findElement(By.id("activity-head")).getText()).contains("terminated");
    assertThat(driver.findElements(By.id("script-form"))).as("no script editor on a terminated activity").isEmpty();
    assertThat(driver.findElement(By.id("activity-logs")).getText()).contains("deployed a model of 31 parameters for 30 features").contains("terminated");
    driver.executeScript("arguments[0].scrollIntoView()", driver.findElement(By.id("activity-batches")));
    screenshot("e2e-activity");

    // a second activity, ended with the Terminate button and a reason
    open("agreements/" + agreement);
    assertThat(driver.findElement(By.id("agreement-activities")).getText()).contains(activity);
    driver.findElement(By.id("activity-create")).click();
    wait(SLOW).until(d -> { String r = String.valueOf(d.findElement(By.id("main")).getAttribute("data-ready")); return r.startsWith("activities/act_") && !r.endsWith(activity); });
    String second = driver.findElement(By.id("main")).getAttribute("data-ready").substring("activities/".length());
    driver.findElement(By.cssSelector("#activity-actions button.activity-terminate")).click();
    var prompt = wait(SLOW).until(ExpectedConditions.alertIsPresent());
    prompt.sendKeys("exploration done");
    prompt.accept();
    awaitText(By.cssSelector("#activity-notes .notice"), "Activity " + second + " terminated: exploration done.");
    assertThat(activities.activity(second).state()).isEqualTo("TERMINATED");
    assertThat(activities.activity(second).reason()).isEqualTo("exploration done");

    open("activities?agreement=" + agreement + "&state=TERMINATED");
    assertThat(driver.findElement(By.id("activities-list")).getText()).contains(activity).contains(second).contains(agreement);
    open("activities?state=NEW");
    assertThat(driver.findElement(By.id("activities-list")).getText()).doesNotContain(activity).contains("No new activities");
    open("activities");
    screenshot("e2e-activities");
  }

  // ---- helpers ----

  /**
   * The owner's offers, one per node, by node name: published on first use. Priced so that the
   * first job's six rounds of 60 epochs stay well under the demand's budget (the hard cap), which
   * would otherwise end its agreements early.
   */
  private static Map<String, String> offers() {
    if (offers.isEmpty()) {
      for (var node : owner.nodes()) {
        offers.put(node.name(), owner.market().publishOffer(new MarketClient.OfferTerms(node.id().value(),
            Map.of("fedgrid.dataset.tags", List.of("health", "oncology"), "fedgrid.inf.cpu.cores", node.cores()), null,
            new MarketClient.Price("1", Map.of("examples_epochs", "0.0001")))).id());
      }
    }
    return offers;
  }

  /** The data scientist's demand for a job: oncology data, a budget of 40. */
  private static MarketClient.DemandTerms demandFor(JobId of) {
    return new MarketClient.DemandTerms(of.value(), Map.of(), "(fedgrid.dataset.tags=oncology)",
        new MarketClient.Price("5", Map.of("examples_epochs", "0.01")), "40", Map.of("examples_epochs", 2000L));
  }

  /** An agreement the data scientist proposed, created and confirmed: pending the provider's approval. */
  private static String confirmedAgreement(String offer, String demand) {
    MarketClient requestor = scientist.market();
    return requestor.confirm(requestor.createAgreement(requestor.propose(offer, demand).id(), 3600L, null).id()).id();
  }

  /** The row of the payments view's documents table that shows this document. */
  private static WebElement documentRow(String id) {
    return row("documents-list", id);
  }

  /** The row of a table in the section with this id whose first cell reads {@code first}. */
  private static WebElement row(String section, String first) {
    return waitFor(By.xpath("//section[@id='" + section + "']//tr[td[1][normalize-space()='" + first + "']]"));
  }

  /** Waits for the (single) document of this kind under an agreement. */
  private static PaymentDocument awaitDocument(MarketClient market, DocumentKind kind, String agreement) {
    awaitPositive(kind + " of " + agreement, () -> market.documents(kind, agreement, null, 10).items().size());
    return market.documents(kind, agreement, null, 10).items().getFirst();
  }

  /** A client of the gateway's HTTPS control API trusting the test CA, without a token. */
  private static FedGridClient.Builder client() {
    return FedGridClient.builder().baseUri(api()).trustCa(ca.directory().resolve("ca.pem")).timeout(SLOW);
  }

  private static String api() {
    return "https://127.0.0.1:" + gateway.controlPort();
  }

  private static String appUrl() {
    return api() + "/admin/";
  }

  private static String ownerPassword() {
    try {
      return new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
          .readValue(dir.resolve("gateway").resolve(Gateway.OWNER_CREDENTIAL_FILE).toFile(), OwnerCredential.class).password();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Logs in through the app's login page, after logging out whoever was logged in. */
  private static void logIn(String user) {
    logIn(user, PASSWORD);
  }

  private static void logIn(String user, String password) {
    driver.get(appUrl() + "#/settings");
    driver.executeScript("localStorage.clear(); sessionStorage.clear();");
    driver.get(appUrl() + "#/login");
    waitReady("login");
    driver.findElement(By.id("login-user")).sendKeys(user);
    driver.findElement(By.id("login-password")).sendKeys(password);
    driver.findElement(By.id("login-submit")).click();
    wait(SLOW).until(d -> !"login".equals(d.findElement(By.id("main")).getAttribute("data-ready"))
        && d.findElement(By.id("main")).getAttribute("data-ready") != null);
    assertThat(driver.executeScript("return JSON.parse(sessionStorage.getItem('fedgrid.user')).name")).isEqualTo(user);
  }

  /** Opens a view of the app (a route, perhaps with a query) and waits until it has rendered. */
  private static void open(String route) {
    driver.get(appUrl() + "#/" + route);
    driver.navigate().refresh(); // a new hash alone does not reload; a fresh page makes every view start clean
    waitReady(route.contains("?") ? route.substring(0, route.indexOf('?')) : route);
  }

  /** Clicks the job page's Report button and returns the page the new tab shows, then closes the tab. */
  private static String openReport() {
    String app = driver.getWindowHandle();
    // The job page redraws its action buttons as events arrive, so find the button afresh for the click.
    wait(SLOW).ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(d -> {
      d.findElement(By.id("job-report")).click();
      return true;
    });
    awaitText(By.id("job-report-ready"), "opened in a new tab");
    String tab = driver.getWindowHandles().stream().filter(w -> !w.equals(app)).findFirst().orElseThrow();
    driver.switchTo().window(tab);
    try {
      wait(SLOW).until(d -> d.getPageSource().contains("Job report:"));
      return driver.getPageSource();
    } finally {
      driver.close();
      driver.switchTo().window(app);
    }
  }

  private static WebElement charts() {
    return driver.findElement(By.id("job-charts"));
  }

  /** The points plotted on the job's charts, every series together. */
  private static long points() {
    return driver.findElements(By.cssSelector("#job-charts circle.point")).size();
  }

  private static long size(Path file) {
    try {
      return Files.size(file);
    } catch (IOException e) {
      return 0;
    }
  }

  private static void screenshot(String name) {
    assertThat(Browser.screenshot(driver, name)).as("colours in the screenshot %s", name).isGreaterThan(NON_BLANK_COLOURS);
  }

  private static void waitReady(String route) {
    wait(SLOW).until(d -> route.equals(d.findElement(By.id("main")).getAttribute("data-ready")));
  }

  /** Waits for an element; on time-out the message carries the page's text, where the app shows what went wrong. */
  private static WebElement waitFor(By what) {
    try {
      return wait(SLOW).until(ExpectedConditions.visibilityOfElementLocated(what));
    } catch (org.openqa.selenium.TimeoutException e) {
      throw new AssertionError("no " + what + " on " + driver.getCurrentUrl() + "; the page says:\n" + driver.findElement(By.id("main")).getText(), e);
    }
  }

  /** Waits until an element (found afresh each time, as the app redraws pages after actions) shows {@code text}. */
  private static void awaitText(By what, String text) {
    try {
      wait(SLOW).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
          .until(d -> d.findElements(what).stream().anyMatch(e -> e.getText().contains(text)));
    } catch (org.openqa.selenium.TimeoutException e) {
      throw new AssertionError("no " + what + " saying '" + text + "' on " + driver.getCurrentUrl() + "; the page says:\n" + driver.findElement(By.id("main")).getText(), e);
    }
  }

  /** Waits until {@code value} is positive and returns it. */
  private static long awaitPositive(String what, LongSupplier value) {
    long[] seen = new long[1];
    try {
      wait(SLOW).until(d -> (seen[0] = value.getAsLong()) > 0);
    } catch (org.openqa.selenium.TimeoutException e) {
      throw new AssertionError("waited in vain for " + what + " on " + driver.getCurrentUrl() + "; the page says:\n" + driver.findElement(By.id("main")).getText(), e);
    }
    return seen[0];
  }

  private static WebDriverWait wait(Duration timeout) {
    return new WebDriverWait(driver, timeout, Duration.ofMillis(50));
  }

  /** A file of this repository, found by walking up from the working directory. */
  private static Path repoFile(String relative) throws IOException {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.exists(d.resolve(relative))) return d.resolve(relative);
    }
    throw new IOException(relative + " is in no directory above " + Path.of("").toAbsolutePath());
  }
}
