package dev.fedgrid.cli;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * Passwords for the CLI, read without echo at the terminal or from standard input ({@code
 * --password-stdin}), never from a command-line value that would end up in the shell history.
 *
 * <p>Thread-safe (stateless).
 */
final class Secrets {
  private Secrets() {}

  /** The terminal, or {@code null} when input or output is redirected. */
  static Console terminal() {
    Console console = System.console();
    return console != null && console.isTerminal() ? console : null;
  }

  /**
   * The first {@code count} lines of standard input, one secret each.
   *
   * @throws ParameterException when fewer lines, or an empty one, arrive
   */
  static List<String> fromStdin(CommandSpec spec, int count, String what) {
    var lines = new ArrayList<String>();
    try {
      var reader = new BufferedReader(new InputStreamReader(FedGridCommand.of(spec).in(), StandardCharsets.UTF_8));
      for (String line; lines.size() < count && (line = reader.readLine()) != null; ) lines.add(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read standard input: " + e.getMessage(), e);
    }
    if (lines.size() < count || lines.stream().anyMatch(String::isEmpty)) {
      throw new ParameterException(spec.commandLine(), "--password-stdin expects " + what + " on standard input, one per line, for example: printf '%s\\n' \"$PASSWORD\" | " + spec.qualifiedName() + " ...");
    }
    return lines;
  }

  /**
   * Asks at the terminal without echo; {@code confirm} asks twice and insists on the same answer.
   *
   * @throws ParameterException when there is no terminal, naming {@code --password-stdin}
   */
  static String ask(CommandSpec spec, String prompt, boolean confirm) {
    Console console = terminal();
    if (console == null) {
      throw new ParameterException(spec.commandLine(), "no terminal to ask for a password: pipe it in with --password-stdin");
    }
    for (int attempt = 0; attempt < 3; attempt++) {
      char[] first = console.readPassword("%s", prompt);
      if (first == null || first.length == 0) throw new ParameterException(spec.commandLine(), "no password given");
      if (!confirm) return new String(first);
      char[] again = console.readPassword("%s", "again: ");
      boolean same = Arrays.equals(first, again);
      String password = new String(first);
      Arrays.fill(first, '\0');
      if (again != null) Arrays.fill(again, '\0');
      if (same) return password;
      console.printf("the two passwords differ; try again%n");
    }
    throw new ParameterException(spec.commandLine(), "the passwords did not match three times");
  }

  /** Asks at the terminal for a line with echo (a user name), or {@code null} without a terminal. */
  static String askLine(String prompt) {
    Console console = terminal();
    if (console == null) return null;
    String line = console.readLine("%s", prompt);
    return line == null || line.isBlank() ? null : line.strip();
  }
}
