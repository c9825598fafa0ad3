package dev.fedgrid.adminui;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import javax.imageio.ImageIO;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Headless Chromium for the browser tests: Debian's {@code chromium} driven through its {@code
 * chromium-driver}, both named by path so that Selenium Manager never tries to download a browser
 * or a driver. Without them the tests are skipped, except under {@code CI=true}, where they fail.
 */
final class Browser {
  static final File CHROMIUM = new File("/usr/bin/chromium");
  static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
  static final Path SCREENSHOTS = Path.of("target", "screenshots");

  private Browser() {}

  /** Skips (or, under CI, fails) the calling test class when chromium or its driver is missing. */
  static void requireChromium() {
    boolean present = CHROMIUM.canExecute() && CHROMEDRIVER.canExecute();
    String why = "the browser tests need " + CHROMIUM + " and " + CHROMEDRIVER
        + " (Debian: apt-get install -y chromium chromium-driver; .ci/run installs them)";
    if (!present && "true".equals(System.getenv("CI"))) fail(why + ", and CI=true does not allow skipping them");
    assumeTrue(present, why + "; skipping");
  }

  static ChromeDriver start() {
    return start(null);
  }

  /** Headless Chromium that saves downloads into {@code downloads} without asking (none when null). */
  static ChromeDriver start(Path downloads) {
    return start(downloads, null);
  }

  /**
   * As {@link #start(Path)}, also trusting the HTTPS server that presents {@code trusted} (none
   * when null) by pinning its public key ({@code --ignore-certificate-errors-spki-list}): the
   * browser keeps checking every other certificate, and there is no CA store to add a test CA to
   * without NSS tools.
   */
  static ChromeDriver start(Path downloads, X509Certificate trusted) {
    System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.getPath());
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER).usingAnyFreePort().build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM);
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,800",
        "--no-first-run", "--disable-extensions", "--disable-background-networking", "--hide-scrollbars");
    if (trusted != null) options.addArguments("--ignore-certificate-errors-spki-list=" + spkiHash(trusted));
    if (downloads != null) {
      options.setExperimentalOption("prefs", Map.of(
          "download.default_directory", downloads.toAbsolutePath().toString(), "download.prompt_for_download", false));
    }
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
    return driver;
  }

  /** Base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo, as Chromium's pin list takes it. */
  private static String spkiHash(X509Certificate certificate) {
    try {
      return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(certificate.getPublicKey().getEncoded()));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JDK has no SHA-256", e);
    }
  }

  /**
   * Saves a screenshot of the window as {@code target/screenshots/<name>.png} and returns how many
   * distinct colours it has: a blank page has one or two, a page with text hundreds.
   */
  static int screenshot(ChromeDriver driver, String name) {
    byte[] png = driver.getScreenshotAs(OutputType.BYTES);
    try {
      Files.createDirectories(SCREENSHOTS);
      Files.write(SCREENSHOTS.resolve(name + ".png"), png);
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
      Set<Integer> colours = new HashSet<>();
      for (int y = 0; y < image.getHeight(); y += 2) {
        for (int x = 0; x < image.getWidth(); x += 2) colours.add(image.getRGB(x, y));
      }
      return colours.size();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
