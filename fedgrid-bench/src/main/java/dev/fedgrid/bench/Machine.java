package dev.fedgrid.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The description of the machine a benchmark ran on, as Markdown table rows, for every report. */
final class Machine {
  private Machine() {}

  /** Rows of a two-column Markdown table: CPU, cache, cores, memory, JDK and OS. */
  static String tableRows() {
    var md = new StringBuilder();
    md.append("| CPU | ").append(cpuInfo("model name").orElse(System.getProperty("os.arch"))).append(" |\n");
    cpuInfo("cache size").ifPresent(c -> md.append("| cache (from /proc/cpuinfo) | ").append(c).append(" |\n"));
    md.append("| cores available to the JVM | ").append(Runtime.getRuntime().availableProcessors()).append(" |\n");
    memInfo().ifPresent(m -> md.append("| memory | ").append(m).append(" |\n"));
    md.append("| JDK | ").append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.runtime.version")).append(" |\n");
    md.append("| OS | ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version")).append(' ').append(System.getProperty("os.arch")).append(" |\n");
    return md.toString();
  }

  /** The first value of a field of /proc/cpuinfo, when the file exists. */
  static Optional<String> cpuInfo(String field) {
    return procField(Path.of("/proc/cpuinfo"), field);
  }

  private static Optional<String> memInfo() {
    return procField(Path.of("/proc/meminfo"), "MemTotal");
  }

  private static Optional<String> procField(Path file, String field) {
    if (!Files.isReadable(file)) return Optional.empty();
    try {
      return Files.readAllLines(file).stream()
          .filter(l -> l.startsWith(field) && l.indexOf(':') > 0)
          .map(l -> l.substring(l.indexOf(':') + 1).trim())
          .findFirst();
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
