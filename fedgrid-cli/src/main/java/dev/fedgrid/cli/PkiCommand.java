package dev.fedgrid.cli;

import dev.fedgrid.security.CertificateRole;
import dev.fedgrid.security.IssueRequest;
import dev.fedgrid.security.IssuedCertificate;
import dev.fedgrid.security.ProjectCa;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code fedgrid pki init|issue|revoke|list}: the project's certificate authority, for mutual TLS. */
@Command(
    name = "pki",
    description = {
      "Manage the project's certificate authority: create it, issue certificates to gateways, nodes and users,",
      "revoke them. Each issued directory (certificate, private key, CA, revocation list) is what --tls-dir takes."
    },
    subcommands = {PkiCommand.Init.class, PkiCommand.Issue.class, PkiCommand.Revoke.class, PkiCommand.ListCertificates.class},
    footer = {"", "Example:",
      "  fedgrid pki init",
      "  fedgrid pki issue gateway gw-1 --dns gateway.example.org --ip 10.0.0.5",
      "  fedgrid pki issue node hospital-a",
      "  fedgrid gateway start --tls-dir ~/.fedgrid/pki/gateway/gw-1",
      "  fedgrid pki revoke hospital-a"})
public final class PkiCommand implements Runnable {
  @Mixin HelpOption help;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing a subcommand: init, issue, revoke or list");
  }

  /** {@code --dir}, shared by every pki command. */
  static final class PkiDir {
    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "${env:FEDGRID_PKI_DIR:-${sys:user.home}/.fedgrid/pki}",
        description = "The CA's directory (kept private: 0700, keys 0600). Env FEDGRID_PKI_DIR. Default: ${DEFAULT-VALUE}")
    Path dir;

    ProjectCa open() {
      return ProjectCa.open(dir, InstantSource.system());
    }
  }

  /** Shared plumbing: the streams. */
  abstract static class PkiSubcommand implements Callable<Integer> {
    @Mixin HelpOption help;

    @Mixin PkiDir pki;

    @Spec CommandSpec spec;

    PrintStream out() {
      return FedGridCommand.of(spec).out();
    }
  }

  @Command(name = "init", description = "Create the project CA: an EC P-256 key pair, a self-signed CA certificate and an empty revocation list.",
      footer = {"", "Example:", "  fedgrid pki init --dir /etc/fedgrid/pki --name 'Acme FedGrid CA'"})
  static final class Init extends PkiSubcommand {
    @Option(names = "--name", defaultValue = ProjectCa.DEFAULT_NAME, description = "The CA's common name. Default: ${DEFAULT-VALUE}")
    String name;

    @Option(names = "--days", defaultValue = "3650", description = "How long the CA certificate is valid, in days. Default: ${DEFAULT-VALUE}")
    int days;

    @Override
    public Integer call() {
      if (days < 1) throw new ParameterException(spec.commandLine(), "--days must be at least 1, got " + days);
      ProjectCa ca = ProjectCa.create(pki.dir, name, Duration.ofDays(days), InstantSource.system());
      out().println("created the project CA '" + name + "' in " + ca.directory().toAbsolutePath() + ", valid until " + ca.certificate().getNotAfter().toInstant());
      out().println("next: fedgrid pki issue gateway NAME, then fedgrid pki issue node NAME for each node");
      return Main.OK;
    }
  }

  @Command(name = "issue", description = "Issue a certificate and a new private key to a gateway, a node, a user or a key custodian, into DIR/ROLE/NAME/.",
      footer = {"", "A gateway certificate names the hosts nodes dial (--dns, --ip); a node's common name is the node's name.",
        "", "Example:",
        "  fedgrid pki issue gateway gw-1 --dns gateway.example.org --dns localhost --ip 10.0.0.5",
        "  fedgrid pki issue node hospital-a --days 90",
        "", "Prints the directory to pass as --tls-dir; copy it to the machine that runs the gateway or node."})
  static final class Issue extends PkiSubcommand {
    @Parameters(index = "0", paramLabel = "ROLE", description = "Required: gateway, node, user or custodian.")
    CertificateRole role;

    @Parameters(index = "1", paramLabel = "NAME", description = "Required: the gateway's, node's or user's name (letters, digits, '.', '_', '-').")
    String name;

    @Option(names = "--dns", paramLabel = "NAME", description = "Gateways and custodians only, repeatable: a DNS name clients dial. Default: localhost")
    List<String> dns;

    @Option(names = "--ip", paramLabel = "ADDRESS", description = "Gateways and custodians only, repeatable: an IP address clients dial. Default: 127.0.0.1")
    List<String> ip;

    @Option(names = "--days", defaultValue = "365", description = "How long the certificate is valid, in days. Default: ${DEFAULT-VALUE}")
    int days;

    @Override
    public Integer call() {
      if (days < 1) throw new ParameterException(spec.commandLine(), "--days must be at least 1, got " + days);
      var request = IssueRequest.of(role, name).withValidity(Duration.ofDays(days));
      if (dns != null) request = request.withDnsNames(dns);
      if (ip != null) request = request.withIpAddresses(ip);
      IssuedCertificate c = pki.open().issue(request);
      Path dir = c.directory().toAbsolutePath();
      out().println("issued " + role.label() + " certificate '" + name + "', serial " + c.serialHex() + ", valid until " + c.notAfter());
      out().println("files in " + dir + " (key.pem is readable by you only; never share it)");
      out().println(switch (role) {
        case GATEWAY -> "use: fedgrid gateway start --tls-dir " + dir;
        case NODE -> "use: fedgrid node start --tls-dir " + dir + " --gateway HOST:7601 --dataset ...";
        case USER -> "for a person or tool dialling the gateway or a key custodian with a client certificate";
        case CUSTODIAN -> "use: fedgrid custodian start --tls-dir " + dir + " --gateway https://HOST:7600 --data-dir ...";
      });
      return Main.OK;
    }
  }

  @Command(name = "revoke", description = "Revoke a certificate and sign a new revocation list; gateways refuse it from their next handshake on.",
      footer = {"", "Updates DIR/crl.pem and the crl.pem in every issued directory; copy the new list to gateways on other machines.",
        "", "Example:", "  fedgrid pki revoke hospital-a", "  fedgrid pki revoke 5f3a9c0e41d27b88a1c0f2e6d4b39a17"})
  static final class Revoke extends PkiSubcommand {
    @Parameters(index = "0", paramLabel = "SERIAL|NAME", description = "Required: the certificate's serial (hex, from 'fedgrid pki list') or its name.")
    String which;

    @Override
    public Integer call() {
      IssuedCertificate c = pki.open().revoke(which);
      out().println("revoked " + c.role().label() + " certificate '" + c.name() + "', serial " + c.serialHex());
      out().println("revocation list: " + pki.dir.toAbsolutePath().resolve("crl.pem") + " (copied into every issued directory)");
      return Main.OK;
    }
  }

  @Command(name = "list", description = "List every certificate the CA issued, with its status: valid, expired, not yet valid or revoked.",
      footer = {"", "Example:", "  fedgrid pki list", "  fedgrid pki list --json"})
  static final class ListCertificates extends PkiSubcommand {
    @Option(names = "--json", description = "Print JSON instead of a table. Default: false.")
    boolean json;

    @Override
    public Integer call() {
      List<IssuedCertificate> all = pki.open().list();
      Instant now = Instant.now();
      if (json) {
        var rows = new ArrayList<Map<String, Object>>();
        for (IssuedCertificate c : all) {
          var row = new LinkedHashMap<String, Object>();
          row.put("role", c.role().label());
          row.put("name", c.name());
          row.put("serial", c.serialHex());
          row.put("notBefore", c.notBefore());
          row.put("notAfter", c.notAfter());
          row.put("status", status(c, now));
          row.put("directory", c.directory().toAbsolutePath().toString());
          rows.add(row);
        }
        out().println(CliJson.pretty(rows));
        return Main.OK;
      }
      var table = new Table("ROLE", "NAME", "SERIAL", "NOT AFTER", "STATUS");
      for (IssuedCertificate c : all) table.row(c.role().label(), c.name(), c.serialHex(), Format.instant(c.notAfter()), status(c, now));
      table.print(out());
      return Main.OK;
    }

    private static String status(IssuedCertificate c, Instant now) {
      if (c.revoked()) return "revoked";
      if (now.isAfter(c.notAfter())) return "expired";
      if (now.isBefore(c.notBefore())) return "not yet valid";
      return "valid";
    }
  }
}
