package dev.fedgrid.adminui;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The admin app in headless Chromium, served from the classpath by a static server: the shell,
 * routing, the login gate, error rendering and the chart and event-stream modules. No gateway runs
 * here, so every view is checked against an API that cannot be reached (each must say so readably,
 * never show a blank page) and against a host that is not a gateway; the flows against a real
 * gateway come with authentication (issue 3). Screenshots of every view land in {@code
 * target/screenshots/} and are checked to be non-blank.
 */
class AdminAppBrowserTest {
  /** Every view with a route of its own, and the file name of its screenshot. */
  private static final Map<String, String> VIEWS = Map.ofEntries(
      Map.entry("dashboard", "dashboard"),
      Map.entry("jobs", "jobs"),
      Map.entry("jobs/job_01jx0000000000000000000000", "job"),
      Map.entry("datasets", "datasets"),
      Map.entry("datasets/ds_01jx0000000000000000000000", "dataset"),
      Map.entry("nodes", "nodes"),
      Map.entry("offers", "offers"),
      Map.entry("demands", "demands"),
      Map.entry("agreements", "agreements"),
      Map.entry("agreements/agr_01jx0000000000000000000000", "agreement"),
      Map.entry("activities", "activities"),
      Map.entry("activities/act_01jx0000000000000000000000", "activity"),
      Map.entry("payments", "payments"),
      Map.entry("requests", "requests"),
      Map.entry("budgets", "budgets"),
      Map.entry("users", "users"),
      Map.entry("roles", "roles"),
      Map.entry("audit", "audit"),
      Map.entry("settings", "settings"));
  private static final int NON_BLANK_COLOURS = 30;

  private static StaticServer server;
  private static ChromeDriver driver;
  private static String unreachableApi;

  @BeforeAll
  static void start() throws IOException {
    Browser.requireChromium();
    server = StaticServer.start();
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      unreachableApi = "http://127.0.0.1:" + socket.getLocalPort(); // closed again before any test runs
    }
    driver = Browser.start();
  }

  @AfterAll
  static void stop() {
    if (driver != null) driver.quit();
    if (server != null) server.close();
  }

  @BeforeEach
  void freshBrowserState() {
    driver.manage().window().setSize(new Dimension(1280, 800));
    driver.get(server.appUrl() + "#/settings");
    driver.executeScript("localStorage.clear(); sessionStorage.clear();");
  }

  @Test
  void withoutASessionEveryViewLeadsToTheLoginPageAndComesBackAfterwards() {
    driver.get(server.appUrl() + "#/jobs?state=running");
    waitReady("login");
    assertThat(driver.getCurrentUrl()).contains("#/login?next=").contains(java.net.URLEncoder.encode("#/jobs?state=running", java.nio.charset.StandardCharsets.UTF_8));
    assertThat(driver.findElement(By.id("login-user")).isDisplayed()).isTrue();
    assertThat(driver.findElements(By.cssSelector("#nav a"))).allMatch(a -> !a.isDisplayed());
    assertThat(Browser.screenshot(driver, "login")).isGreaterThan(NON_BLANK_COLOURS);
  }

  @Test
  void loggingInAgainstAnUnreachableApiSaysWhereItLookedAndWhatToCheck() {
    driver.get(server.appUrl() + "#/login");
    waitReady("login");
    driver.findElement(By.cssSelector("details summary")).click();
    driver.findElement(By.id("login-api")).sendKeys(unreachableApi);
    driver.findElement(By.id("login-user")).sendKeys("ana");
    driver.findElement(By.id("login-password")).sendKeys("secret");
    driver.findElement(By.id("login-submit")).click();
    WebElement error = wait(Duration.ofSeconds(10)).until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#login-status .error")));
    assertThat(error.getText())
        .contains("Could not log in")
        .contains("Could not reach the control API at " + unreachableApi)
        .contains("Check that the gateway is running");
    assertThat(driver.findElement(By.id("login-password")).getAttribute("value")).isEmpty();
    assertThat(driver.executeScript("return localStorage.getItem('fedgrid.apiBase')")).isEqualTo(unreachableApi);
    assertThat(driver.executeScript("return sessionStorage.getItem('fedgrid.token')")).isNull();
    assertThat(Browser.screenshot(driver, "login-error")).isGreaterThan(NON_BLANK_COLOURS);
  }

  @Test
  void everyViewShowsTheUnreachableApiAsAReadableMessageNeverABlankPage() {
    signInWithoutGateway(unreachableApi);
    for (var view : VIEWS.entrySet()) {
      // A fresh page load for each view: driver.get to the URL already open (the set-up leaves the
      // page on #/settings, rendered before the test signed in) would not navigate at all.
      driver.get("about:blank");
      driver.get(server.appUrl() + "#/" + view.getKey());
      waitReady(view.getKey());
      WebElement main = driver.findElement(By.id("main"));
      List<WebElement> failures = main.findElements(By.cssSelector(".error, .card.failed"));
      assertThat(failures).as("failures shown on #/%s", view.getKey()).isNotEmpty();
      assertThat(main.getText()).as("text of #/%s", view.getKey()).contains("Could not reach the control API at " + unreachableApi);
      assertThat(driver.findElement(By.cssSelector("#nav a.active")).getText()).as("active menu entry of #/%s", view.getKey()).isNotBlank();
      assertThat(Browser.screenshot(driver, "view-" + view.getValue())).as("colours in the screenshot of #/%s", view.getKey()).isGreaterThan(NON_BLANK_COLOURS);
    }
  }

  @Test
  void aHostThatIsNotAGatewayIsNamedInsteadOfFailingSilently() {
    signInWithoutGateway(server.origin()); // answers 404 in plain text to /api/v1/...
    driver.get(server.appUrl() + "#/jobs");
    waitReady("jobs");
    String text = driver.findElement(By.cssSelector("#jobs-list .error")).getText();
    assertThat(text).contains("Could not list the jobs").contains("answered 404").contains("without an error body").contains("404 HTTP_404");
  }

  @Test
  void anUnknownPageSaysSoAndLogOutReturnsToTheLoginPage() {
    signInWithoutGateway(unreachableApi);
    driver.get(server.appUrl() + "#/no-such-view");
    waitReady("no-such-view");
    assertThat(driver.findElement(By.cssSelector("#main .error")).getText()).contains("There is no page #/no-such-view");
    driver.findElement(By.id("logout")).click();
    waitReady("login");
    assertThat(driver.findElement(By.id("login-status")).getText()).contains("You logged out.");
    assertThat(driver.executeScript("return sessionStorage.getItem('fedgrid.token')")).isNull();
  }

  @Test
  void theChartDrawsOnePointPerRoundForEachSeriesAndLowerLossLower() {
    signInWithoutGateway(unreachableApi);
    driver.get(server.appUrl() + "#/settings");
    waitReady("settings");
    @SuppressWarnings("unchecked")
    Map<String, Object> drawn = (Map<String, Object>) driver.executeAsyncScript("""
        const done = arguments[arguments.length - 1];
        import(new URL('chart.js', document.baseURI).href).then(({ lineChart, metricSeries }) => {
          const rounds = [1, 2, 3, 4, 5].map(r => ({ round: r, evalMetrics: { loss: 1 / r, accuracy: 0.5 + r / 20 }, fitMetrics: { loss: 1.2 / r } }));
          const box = document.createElement('section');
          box.className = 'charts';
          box.append(lineChart({ title: 'Loss', series: metricSeries(rounds, 'loss') }),
                     lineChart({ title: 'Accuracy', series: metricSeries(rounds, 'accuracy') }),
                     lineChart({ title: 'Nothing yet', series: metricSeries([], 'loss') }));
          document.getElementById('main').replaceChildren(box);
          const [loss, accuracy, empty] = box.querySelectorAll('svg');
          done({
            lossPoints: loss.querySelectorAll('circle.point').length,
            lossLines: loss.querySelectorAll('polyline').length,
            accuracyPoints: accuracy.querySelectorAll('circle.point').length,
            evalLossY: [...loss.querySelectorAll('.series-0 .point')].map(c => Number(c.getAttribute('cy'))),
            firstTooltip: loss.querySelector('.series-0 .point title').textContent,
            empty: empty.textContent,
          });
        }).catch(e => done({ error: String(e) }));
        """);
    assertThat(drawn).doesNotContainKey("error");
    assertThat(drawn.get("lossPoints")).isEqualTo(10L); // 5 rounds × (evaluation, training)
    assertThat(drawn.get("lossLines")).isEqualTo(2L);
    assertThat(drawn.get("accuracyPoints")).isEqualTo(5L); // the nodes report no training accuracy
    @SuppressWarnings("unchecked")
    List<Number> ys = (List<Number>) drawn.get("evalLossY");
    assertThat(ys).hasSize(5);
    for (int i = 1; i < ys.size(); i++) assertThat(ys.get(i).doubleValue()).isGreaterThan(ys.get(i - 1).doubleValue()); // SVG y grows downwards
    assertThat(drawn.get("firstTooltip")).isEqualTo("evaluation loss, round 1: 1");
    assertThat((String) drawn.get("empty")).contains("no rounds yet");
    assertThat(Browser.screenshot(driver, "chart")).isGreaterThan(NON_BLANK_COLOURS);
  }

  @Test
  void theEventStreamParserHandlesSplitChunksLineEndingsCommentsAndIds() {
    driver.get(server.appUrl() + "#/login");
    waitReady("login");
    Object parsed = driver.executeAsyncScript("""
        const done = arguments[arguments.length - 1];
        import(new URL('sse.js', document.baseURI).href).then(({ SseParser }) => {
          const events = [];
          let retry = null;
          const parser = new SseParser(e => events.push(e), ms => { retry = ms; });
          for (const chunk of ['retry: 2000\\n\\n: keep-alive\\n\\nid: 1\\nevent: round_completed\\nda',
                               'ta: {"round":1}\\r', '\\n\\r\\nid: 2\\ndata: line one\\ndata:line two\\n\\n', 'data: no new id\\n', '\\n']) {
            parser.push(chunk);
          }
          done({ events, retry });
        }).catch(e => done({ error: String(e) }));
        """);
    assertThat(parsed).isEqualTo(Map.of(
        "retry", 2000L,
        "events", List.of(
            Map.of("id", "1", "event", "round_completed", "data", "{\"round\":1}"),
            Map.of("id", "2", "event", "message", "data", "line one\nline two"),
            Map.of("id", "2", "event", "message", "data", "no new id"))));
  }

  @Test
  void onANarrowScreenTheMenuSitsAboveTheContent() {
    signInWithoutGateway(unreachableApi);
    driver.manage().window().setSize(new Dimension(420, 860));
    driver.get(server.appUrl() + "#/jobs");
    waitReady("jobs");
    WebElement nav = driver.findElement(By.id("nav"));
    WebElement main = driver.findElement(By.id("main"));
    assertThat(nav.getRect().getY() + nav.getRect().getHeight()).isLessThanOrEqualTo(main.getRect().getY());
    assertThat(main.getRect().getWidth()).isGreaterThan(380);
    assertThat(Browser.screenshot(driver, "narrow-jobs")).isGreaterThan(NON_BLANK_COLOURS);
  }

  /** A session as the login page would leave it, pointed at an API that is not a working gateway. */
  private void signInWithoutGateway(String api) {
    driver.executeScript(
        "localStorage.setItem('fedgrid.apiBase', arguments[0]);"
            + "sessionStorage.setItem('fedgrid.token', 'fgt_browser-test');"
            + "sessionStorage.setItem('fedgrid.user', JSON.stringify({name: 'ana', role: 'compliance-officer', permissions: ['can_triage_requests']}));",
        api);
  }

  private void waitReady(String route) {
    wait(Duration.ofSeconds(10)).until(d -> route.equals(d.findElement(By.id("main")).getAttribute("data-ready")));
  }

  private WebDriverWait wait(Duration timeout) {
    return new WebDriverWait(driver, timeout, Duration.ofMillis(50));
  }
}
