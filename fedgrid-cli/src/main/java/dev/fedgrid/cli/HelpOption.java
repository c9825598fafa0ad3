package dev.fedgrid.cli;

import picocli.CommandLine.Option;

/** {@code -h, --help} for subcommands ({@code --version} belongs to {@code fedgrid} alone). */
final class HelpOption {
  @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
  boolean help;
}
