package dev.fedgrid.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import dev.fedgrid.api.UnavailableException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code fedgrid} command run as a separate OS process with this JVM's classpath and the flags
 * FedGrid needs, its output (stdout and stderr) copied to a log file and scanned for a readiness
 * line. The demo and the cross-process integration tests start gateways and nodes this way.
 *
 * <p>The one line a gateway's first start prints on stdout with the owner's password and token
 * ({@code OWNER_CREDENTIAL user=owner password=... token=...}) reaches the log with both secrets
 * replaced by {@code <redacted>}: log files are not secret stores (the gateway writes the
 * credential to its data directory, readable only by its user). Only a line that starts so is
 * redacted; a secret anywhere else stays in the log, where tests will find it.
 *
 * <p>Thread-safe.
 */
public final class ChildProcess implements AutoCloseable {
  /** Heap of each child: a node holding Fashion-MNIST in memory needs about 300 MB. */
  private static final String HEAP = "1g";
  /** The secrets of the gateway's owner-credential line. */
  private static final Pattern CREDENTIAL_SECRETS = Pattern.compile("\\b(password|token)=\\S+");

  private final String name;
  private final Process process;
  private final Path log;
  private final CompletableFuture<Matcher> ready = new CompletableFuture<>();

  private ChildProcess(String name, Process process, Path log, Pattern readyLine) {
    this.name = name;
    this.process = process;
    this.log = log;
    Thread.ofVirtual().name("log-" + name).start(() -> copy(readyLine));
  }

  /** Starts {@code fedgrid args...} with stdout and stderr going to {@code log}. */
  public static ChildProcess start(String name, Path log, Pattern readyLine, List<String> args) throws IOException {
    return start(name, log, readyLine, args, Map.of());
  }

  /**
   * As {@link #start(String, Path, Pattern, List)}, with {@code environment} added to this
   * process's: the way to hand a child a secret, which its command line would show to every user.
   */
  public static ChildProcess start(String name, Path log, Pattern readyLine, List<String> args, Map<String, String> environment) throws IOException {
    var command = new ArrayList<String>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("--sun-misc-unsafe-memory-access=allow");
    command.add("--add-modules");
    command.add("jdk.incubator.vector");
    command.add("-Dai.djl.offline=true");
    command.add("-Xmx" + HEAP);
    String cache = System.getProperty("fedgrid.cache.dir"); // else the child reads FEDGRID_CACHE_DIR or its default
    if (cache != null) command.add("-Dfedgrid.cache.dir=" + cache);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("dev.fedgrid.cli.Main");
    command.addAll(args);
    Files.createDirectories(log.getParent());
    var builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(environment);
    Process p = builder.start();
    return new ChildProcess(name, p, log, readyLine);
  }

  /**
   * Waits for the readiness line and returns its match.
   *
   * @throws UnavailableException with the end of the child's log when it exits or stays silent
   */
  public Matcher awaitReady(Duration timeout) throws InterruptedException {
    try {
      return ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new UnavailableException("PROCESS_NOT_READY", name + " did not become ready within " + timeout + "; the end of " + log + ":\n" + tail());
    } catch (ExecutionException e) {
      throw new UnavailableException("PROCESS_EXITED", e.getCause().getMessage());
    }
  }

  public Path log() {
    return log;
  }

  public String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** Waits until the process has ended and returns its exit code. */
  public int awaitExit() throws InterruptedException {
    return process.waitFor();
  }

  /** Kills the process at once (SIGKILL), as a crash would. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /**
   * Asks the process to stop (SIGTERM) and waits up to 15 s, then kills it. When the calling thread
   * is interrupted the process is killed at once and the interrupt flag is kept.
   */
  @Override
  public void close() {
    if (!process.isAlive()) return;
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  private void copy(Pattern readyLine) {
    try (var in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        var out = Files.newBufferedWriter(log, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      String line;
      while ((line = in.readLine()) != null) {
        if (line.startsWith("OWNER_CREDENTIAL ")) line = CREDENTIAL_SECRETS.matcher(line).replaceAll("$1=<redacted>");
        out.write(line);
        out.newLine();
        out.flush();
        if (!ready.isDone()) {
          Matcher m = readyLine.matcher(line);
          if (m.find()) ready.complete(m);
        }
      }
      ready.completeExceptionally(new IllegalStateException(name + " exited with code " + process.waitFor() + " before it was ready; the end of " + log + ":\n" + tail()));
    } catch (IOException e) {
      ready.completeExceptionally(new UncheckedIOException(e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
