package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fedgrid.gateway.Gateway;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fedgrid demo --keep}, the smallest demo (two nodes, one round per job) in this JVM: once
 * the jobs are done the command prints the admin app's address and how to log in, and keeps the
 * gateway serving the app and the API, as that says, until it is stopped; then every process ends.
 * Without {@code --keep} the command returns after the jobs, as {@code FederatedTrainingIT}'s grids
 * show for the same processes.
 */
class DemoKeepIT {
  private static final Pattern ADMIN = Pattern.compile("admin app (https://\\S+/admin/)");

  @TempDir Path dir;

  @Test
  @Timeout(value = 8, unit = java.util.concurrent.TimeUnit.MINUTES)
  void keepsTheGridServingTheAdminAppUntilStopped() throws Exception {
    var out = new ByteArrayOutputStream();
    var err = new ByteArrayOutputStream();
    var code = new AtomicInteger(-1);
    Thread demo = Thread.ofPlatform().name("demo-keep").start(() -> code.set(Main.run(
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
        "demo", "--keep", "--nodes", "2", "--rounds", "1", "--data-dir", dir.toString())));
    try {
      String admin = awaitLine(out, demo, Duration.ofMinutes(6)).group(1);
      String printed = out.toString(StandardCharsets.UTF_8);
      Path credential = dir.resolve("gateway").resolve(Gateway.OWNER_CREDENTIAL_FILE);
      assertThat(printed)
          .contains("The grid keeps running (--keep)")
          .contains("log in as user 'owner' with the \"password\" in " + credential)
          .contains("Press Ctrl-C");
      String password = new ObjectMapper().readTree(credential.toFile()).get("password").asText();
      assertThat(printed).as("the password stays in its file").doesNotContain(password);

      HttpClient http = HttpClient.newBuilder().sslContext(trusting(dir.resolve("pki").resolve("ca.pem"))).connectTimeout(Duration.ofSeconds(10)).build();
      Thread.sleep(1500); // a while after the demo's own work: still serving
      assertThat(demo.isAlive()).isTrue();
      var app = http.send(HttpRequest.newBuilder(URI.create(admin)).build(), BodyHandlers.ofString());
      assertThat(app.statusCode()).isEqualTo(200);
      assertThat(app.body()).contains("FedGrid admin");
      String api = admin.replace("/admin/", "/api/v1");
      var login = http.send(HttpRequest.newBuilder(URI.create(api + "/login")).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"user\": \"owner\", \"password\": \"" + password + "\"}")).build(), BodyHandlers.ofString());
      assertThat(login.statusCode()).as("logging in as printed: %s", login.body()).isEqualTo(200);
      String token = new ObjectMapper().readTree(login.body()).get("token").asText();
      var jobs = http.send(HttpRequest.newBuilder(URI.create(api + "/jobs")).header("Authorization", "Bearer " + token).build(), BodyHandlers.ofString());
      assertThat(jobs.body()).as("the demo's jobs are there to explore").contains("logistic regression").contains("MLP 30-16-1");

      demo.interrupt(); // what Ctrl-C's shutdown hook does to the processes, the command's finally does here
      demo.join(Duration.ofMinutes(1));
      assertThat(demo.isAlive()).isFalse();
      assertThat(code.get()).isEqualTo(Main.OK);
      // Refused outright, or cut during the handshake while the listener is still closing: either
      // way no HTTP answer comes back.
      assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(URI.create(admin)).build(), BodyHandlers.discarding()))
          .as("the gateway stopped").isInstanceOf(java.io.IOException.class);
      http.close();
    } finally {
      if (demo.isAlive()) {
        demo.interrupt();
        demo.join(Duration.ofMinutes(1));
      }
    }
  }

  /** Waits for the admin line of the demo's output; fails with the output if the demo ended first. */
  private static Matcher awaitLine(ByteArrayOutputStream out, Thread demo, Duration timeout) throws InterruptedException {
    Instant until = Instant.now().plus(timeout);
    while (Instant.now().isBefore(until)) {
      Matcher m = ADMIN.matcher(out.toString(StandardCharsets.UTF_8));
      if (m.find()) return m;
      if (!demo.isAlive()) throw new AssertionError("the demo ended without keeping the grid:\n" + out.toString(StandardCharsets.UTF_8));
      Thread.sleep(200);
    }
    throw new AssertionError("no admin app line within " + timeout + ":\n" + out.toString(StandardCharsets.UTF_8));
  }

  private static SSLContext trusting(Path caPem) throws Exception {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    try (InputStream in = Files.newInputStream(caPem)) {
      store.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }
}
