package dev.fedgrid.cli;

import dev.fedgrid.client.FedGridClient;
import dev.fedgrid.client.MarketClient;
import dev.fedgrid.client.MarketClient.Account;
import dev.fedgrid.client.MarketClient.Agreement;
import dev.fedgrid.client.MarketClient.Allocation;
import dev.fedgrid.client.MarketClient.Demand;
import dev.fedgrid.client.MarketClient.DemandTerms;
import dev.fedgrid.client.MarketClient.DocumentKind;
import dev.fedgrid.client.MarketClient.Offer;
import dev.fedgrid.client.MarketClient.OfferQuery;
import dev.fedgrid.client.MarketClient.OfferTerms;
import dev.fedgrid.client.MarketClient.PaymentDocument;
import dev.fedgrid.client.MarketClient.Price;
import dev.fedgrid.client.MarketClient.Proposal;
import dev.fedgrid.client.MarketClient.Transfer;
import dev.fedgrid.client.Page;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The market's commands: {@code fedgrid offer}, {@code demand}, {@code agreement}, {@code
 * allocation}, {@code debit-note}, {@code invoice} and {@code ledger}, over {@link MarketClient}.
 * Amounts are decimals such as {@code 0.25}; who may run what is in docs/market.md.
 */
final class MarketCommands {
  private MarketCommands() {}

  /** A noun without a verb: a usage error naming the verbs. */
  abstract static class Noun implements Runnable {
    @Mixin HelpOption help;

    @Spec CommandSpec spec;

    @Override
    public void run() {
      throw new ParameterException(spec.commandLine(), "missing a subcommand: " + String.join(", ", spec.subcommands().keySet()));
    }
  }

  /** A market command: {@code --json} and the market of the client. */
  abstract static class MarketCommand extends ClientCommand {
    @Option(names = "--json", description = "Print the API's JSON. Default: false.")
    boolean json;

    @Override
    final int call(FedGridClient client) {
      Object result = call(client.market());
      if (json) {
        printJson(result instanceof List<?> l ? Map.of("items", l) : result);
      } else {
        print(result);
      }
      return Main.OK;
    }

    abstract Object call(MarketClient market);

    void print(Object result) {
      switch (result) {
        case Page<?> p -> {
          print(p.items());
          if (p.hasNext()) err().println("more: --cursor " + p.nextCursor());
        }
        case List<?> l when l.isEmpty() -> err().println("none");
        case List<?> l -> table(l).print(out());
        default -> table(List.of(result)).print(out());
      }
    }
  }

  /** A list command: {@code --limit} and {@code --cursor}. */
  abstract static class ListCommand extends MarketCommand {
    @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "At most this many, 1 to 500. Default: ${DEFAULT-VALUE}.")
    int limit;

    @Option(names = "--cursor", paramLabel = "CURSOR", description = "Continue after the previous page (its 'more: --cursor'). Default: the first page.")
    String cursor;
  }

  static Table table(List<?> items) {
    Object first = items.getFirst();
    Table t = switch (first) {
      case Offer o -> new Table("OFFER", "STATE", "NODE", "PRICE", "PUBLISHED BY");
      case Demand d -> new Table("DEMAND", "STATE", "JOB", "OWNER", "BUDGET");
      case Proposal p -> new Table("PROPOSAL", "ISSUER", "OFFER", "DEMAND", "ESTIMATE", "LATEST");
      case Agreement a -> new Table("AGREEMENT", "STATE", "JOB", "NODE", "REQUESTOR", "EXPIRES", "HARD CAP");
      case Allocation a -> new Table("ALLOCATION", "STATE", "JOB", "TOTAL", "SPENT", "REMAINING");
      case PaymentDocument d -> new Table("DOCUMENT", "KIND", "STATUS", "AGREEMENT", "AMOUNT", "DEADLINE", "TRANSFER");
      case Account a -> new Table("ACCOUNT", "BALANCE");
      case Transfer x -> new Table("TRANSFER", "AT", "FROM", "TO", "AMOUNT", "REFERENCE");
      default -> throw new IllegalArgumentException("no table for " + first.getClass());
    };
    for (Object item : items) {
      switch (item) {
        case Offer o -> t.row(o.id(), o.state(), o.terms().node(), price(o.terms().price()), o.publishedBy());
        case Demand d -> t.row(d.id(), d.state(), d.job(), d.owner(), d.terms().budget());
        case Proposal p -> t.row(p.id(), p.issuer(), p.offer(), p.demand(), p.estimate(), p.latest() ? "yes" : "no");
        case Agreement a -> t.row(a.id(), a.state(), a.job(), a.node(), a.requestor(), a.expiresAt(), a.hardCap());
        case Allocation a -> t.row(a.id(), a.state(), a.job(), a.total(), a.spent(), a.remaining());
        case PaymentDocument d -> t.row(d.id(), d.kind(), d.status(), d.agreement(), d.amount(), d.acceptanceDeadline() == null ? "" : d.acceptanceDeadline(),
            d.transfer() == null ? "" : d.transfer());
        case Account a -> t.row(a.id(), a.balance());
        case Transfer x -> t.row(x.id(), x.at(), x.from(), x.to(), x.amount(), x.reference());
        default -> throw new IllegalArgumentException("no row for " + item.getClass());
      }
    }
    return t;
  }

  private static String price(Price p) {
    if (p == null) return "0";
    var parts = new StringBuilder(p.fixed() == null ? "0" : p.fixed());
    if (p.perUnit() != null) p.perUnit().forEach((k, v) -> parts.append(" + ").append(v).append("/").append(k));
    return parts.toString();
  }

  /** {@code key=value} pairs as properties: numbers, true/false, comma lists in brackets, else text. */
  static Map<String, Object> properties(CommandLine cl, List<String> pairs) {
    var out = new LinkedHashMap<String, Object>();
    for (String pair : pairs) {
      int eq = pair.indexOf('=');
      if (eq <= 0) throw new ParameterException(cl, "--property: '" + pair + "' is not KEY=VALUE");
      String key = pair.substring(0, eq);
      String v = pair.substring(eq + 1);
      Object value;
      if (v.equals("true") || v.equals("false")) value = Boolean.parseBoolean(v);
      else if (v.startsWith("[") && v.endsWith("]")) value = v.length() == 2 ? List.of() : List.of(v.substring(1, v.length() - 1).split(","));
      else if (v.matches("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?")) value = new BigDecimal(v);
      else value = v;
      out.put(key, value);
    }
    return out;
  }

  static Map<String, String> amounts(CommandLine cl, String option, List<String> pairs) {
    var out = new LinkedHashMap<String, String>();
    for (String pair : pairs) {
      int eq = pair.indexOf('=');
      if (eq <= 0) throw new ParameterException(cl, option + ": '" + pair + "' is not COUNTER=AMOUNT");
      out.put(pair.substring(0, eq), pair.substring(eq + 1));
    }
    return out;
  }

  static Map<String, Long> counts(CommandLine cl, String option, List<String> pairs) {
    var out = new LinkedHashMap<String, Long>();
    amounts(cl, option, pairs).forEach((k, v) -> {
      try {
        out.put(k, Long.parseLong(v));
      } catch (NumberFormatException e) {
        throw new ParameterException(cl, option + ": '" + k + "=" + v + "' needs a whole number of " + k);
      }
    });
    return out;
  }

  // ---- fedgrid offer ----

  @Command(
      name = "offer",
      description = "Offers of compute: what a node offers, on what constraints, at what price.",
      subcommands = {OfferCommand.Publish.class, OfferCommand.ListOffers.class, OfferCommand.Show.class, OfferCommand.Withdraw.class},
      footer = {"", "Example:", "  fedgrid offer publish --node node_01jd3v6q9e8r4k2m7n5p0s1t2w --property fedgrid.inf.mem.gib=16 --price 2",
        "  fedgrid offer list --constraint '(fedgrid.inf.mem.gib>=8)'"})
  static final class OfferCommand extends Noun {
    @Command(name = "publish", description = "Publish an offer for a node (needs can_manage_infrastructure).",
        footer = {"", "Example:", "  fedgrid offer publish --node node_01jd3v6q9e8r4k2m7n5p0s1t2w --property fedgrid.inf.gpu=false --price 2 --per-unit cpu_seconds=0.01"})
    static final class Publish extends MarketCommand {
      @Option(names = "--node", required = true, paramLabel = "NODE", description = "The node that offers (node_...). Required.")
      String node;

      @Option(names = "--property", paramLabel = "KEY=VALUE", description = "A property such as fedgrid.inf.mem.gib=16 or fedgrid.dataset.tags=[a,b]; repeatable. Default: none.")
      List<String> properties = List.of();

      @Option(names = "--constraints", paramLabel = "FILTER", description = "What requestors must have, such as '(fedgrid.job.owner=*)'. Default: (&), anyone.")
      String constraints;

      @Option(names = "--price", paramLabel = "AMOUNT", defaultValue = "0", description = "The fixed part of the price. Default: ${DEFAULT-VALUE}.")
      String price;

      @Option(names = "--per-unit", paramLabel = "COUNTER=AMOUNT", description = "A coefficient per usage counter (examples_epochs, cpu_seconds, bytes); repeatable. Default: none.")
      List<String> perUnit = List.of();

      @Override
      Object call(MarketClient market) {
        return market.publishOffer(new OfferTerms(node, properties(spec.commandLine(), properties), constraints, new Price(price, amounts(spec.commandLine(), "--per-unit", perUnit))));
      }
    }

    @Command(name = "list", description = "List active offers, optionally only those meeting a constraint or matching a demand.",
        footer = {"", "Example:", "  fedgrid offer list --constraint '(&(fedgrid.inf.mem.gib>=8)(fedgrid.dataset.tags=oncology))' --json"})
    static final class ListOffers extends ListCommand {
      @Option(names = "--constraint", paramLabel = "FILTER", description = "Only offers whose properties meet it. Default: all.")
      String constraint;

      @Option(names = "--node", paramLabel = "NODE", description = "Only this node's offers. Default: every node's.")
      String node;

      @Option(names = "--demand", paramLabel = "DEMAND", description = "Only offers that match this demand both ways, in price and budget. Default: none.")
      String demand;

      @Option(names = "--all", description = "Withdrawn offers too. Default: false.")
      boolean all;

      @Override
      Object call(MarketClient market) {
        return market.offers(new OfferQuery(constraint, node, demand, all), cursor, limit);
      }
    }

    @Command(name = "show", description = "Show one offer.", footer = {"", "Example:", "  fedgrid offer show ofr_01jd3v6q9e8r4k2m7n5p0s1t2w --json"})
    static final class Show extends MarketCommand {
      @Parameters(paramLabel = "OFFER", description = "The offer id (ofr_...).")
      String id;

      @Override
      Object call(MarketClient market) {
        return market.offer(id);
      }
    }

    @Command(name = "withdraw", description = "Withdraw an offer (needs can_manage_infrastructure).",
        footer = {"", "Example:", "  fedgrid offer withdraw ofr_01jd3v6q9e8r4k2m7n5p0s1t2w"})
    static final class Withdraw extends MarketCommand {
      @Parameters(paramLabel = "OFFER", description = "The offer id (ofr_...).")
      String id;

      @Override
      Object call(MarketClient market) {
        return market.withdrawOffer(id);
      }
    }
  }

  // ---- fedgrid demand ----

  @Command(
      name = "demand",
      description = "Demands: what one of your jobs needs, the most it pays per part of the price, and its budget.",
      subcommands = {DemandCommand.Publish.class, DemandCommand.ListDemands.class, DemandCommand.Show.class, DemandCommand.Withdraw.class},
      footer = {"", "Example:", "  fedgrid demand publish --job job_01jd3v6q9e8r4k2m7n5p0s1t2w --constraints '(fedgrid.inf.mem.gib>=4)' --max-price 5 --budget 40"})
  static final class DemandCommand extends Noun {
    @Command(name = "publish", description = "Publish a demand for one of your jobs (needs can_make_data_requests).",
        footer = {"", "Example:", "  fedgrid demand publish --job job_01jd3v6q9e8r4k2m7n5p0s1t2w --max-price 5 --max-per-unit examples_epochs=0.01 --budget 40 --expect examples_epochs=1000"})
    static final class Publish extends MarketCommand {
      @Option(names = "--job", required = true, paramLabel = "JOB", description = "Your job (job_...). Required.")
      String job;

      @Option(names = "--property", paramLabel = "KEY=VALUE", description = "A property of the job, repeatable. Default: none (fedgrid.job.owner is always set).")
      List<String> properties = List.of();

      @Option(names = "--constraints", paramLabel = "FILTER", description = "What an offer must have. Default: (&), any offer.")
      String constraints;

      @Option(names = "--max-price", paramLabel = "AMOUNT", defaultValue = "0", description = "The most paid as the fixed part. Default: ${DEFAULT-VALUE}.")
      String maxPrice;

      @Option(names = "--max-per-unit", paramLabel = "COUNTER=AMOUNT", description = "The most paid per unit of a counter; repeatable. Default: none (0).")
      List<String> maxPerUnit = List.of();

      @Option(names = "--budget", required = true, paramLabel = "AMOUNT", description = "The most paid in all, the hard cap of its agreements. Required.")
      String budget;

      @Option(names = "--expect", paramLabel = "COUNTER=N", description = "Expected usage, to estimate prices against the budget; repeatable. Default: none.")
      List<String> expect = List.of();

      @Override
      Object call(MarketClient market) {
        return market.publishDemand(new DemandTerms(job, properties(spec.commandLine(), properties), constraints, new Price(maxPrice, amounts(spec.commandLine(), "--max-per-unit", maxPerUnit)), budget, counts(spec.commandLine(), "--expect", expect)));
      }
    }

    @Command(name = "list", description = "List demands: your own, or all for the provider side.", footer = {"", "Example:", "  fedgrid demand list --json"})
    static final class ListDemands extends ListCommand {
      @Override
      Object call(MarketClient market) {
        return market.demands(cursor, limit);
      }
    }

    @Command(name = "show", description = "Show one demand.", footer = {"", "Example:", "  fedgrid demand show dmd_01jd3v6q9e8r4k2m7n5p0s1t2w"})
    static final class Show extends MarketCommand {
      @Parameters(paramLabel = "DEMAND", description = "The demand id (dmd_...).")
      String id;

      @Override
      Object call(MarketClient market) {
        return market.demand(id);
      }
    }

    @Command(name = "withdraw", description = "Withdraw one of your demands.", footer = {"", "Example:", "  fedgrid demand withdraw dmd_01jd3v6q9e8r4k2m7n5p0s1t2w"})
    static final class Withdraw extends MarketCommand {
      @Parameters(paramLabel = "DEMAND", description = "The demand id (dmd_...).")
      String id;

      @Override
      Object call(MarketClient market) {
        return market.withdrawDemand(id);
      }
    }
  }

  // ---- fedgrid agreement ----

  @Command(
      name = "agreement",
      description = "Negotiation and agreements: propose, counter, agree, confirm, approve, reject, cancel, terminate.",
      subcommands = {
        AgreementCommand.Propose.class, AgreementCommand.Counter.class, AgreementCommand.Proposals.class, AgreementCommand.Create.class,
        AgreementCommand.ListAgreements.class, AgreementCommand.Show.class, AgreementCommand.Confirm.class, AgreementCommand.Approve.class,
        AgreementCommand.Reject.class, AgreementCommand.Cancel.class, AgreementCommand.Terminate.class},
      footer = {"", "Example:", "  fedgrid agreement propose --offer ofr_01jd3v6q9e8r4k2m7n5p0s1t2w --demand dmd_01jd3v6q9e8r4k2m7n5p0s1t2w",
        "  fedgrid agreement create prop_01jd3v6q9e8r4k2m7n5p0s1t2w", "  fedgrid agreement confirm agr_01jd3v6q9e8r4k2m7n5p0s1t2w"})
  static final class AgreementCommand extends Noun {
    @Command(name = "propose", description = "Open a negotiation of an offer and a demand with a first proposal.",
        footer = {"", "Example:", "  fedgrid agreement propose --offer ofr_01jd3v6q9e8r4k2m7n5p0s1t2w --demand dmd_01jd3v6q9e8r4k2m7n5p0s1t2w"})
    static final class Propose extends MarketCommand {
      @Option(names = "--offer", required = true, paramLabel = "OFFER", description = "The offer (ofr_...). Required.")
      String offer;

      @Option(names = "--demand", required = true, paramLabel = "DEMAND", description = "The demand (dmd_...). Required.")
      String demand;

      @Override
      Object call(MarketClient market) {
        return market.propose(offer, demand);
      }
    }

    @Command(name = "counter", description = "Counter the latest proposal: the provider side with a price, the requestor with a max price or budget.",
        footer = {"", "Example:", "  fedgrid agreement counter prop_01jd3v6q9e8r4k2m7n5p0s1t2w --price 3"})
    static final class Counter extends MarketCommand {
      @Parameters(paramLabel = "PROPOSAL", description = "The latest proposal (prop_...).")
      String proposal;

      @Option(names = "--price", paramLabel = "AMOUNT", description = "Provider side: the new fixed price. Default: unchanged.")
      String price;

      @Option(names = "--max-price", paramLabel = "AMOUNT", description = "Requestor: the new most paid as the fixed part. Default: unchanged.")
      String maxPrice;

      @Option(names = "--budget", paramLabel = "AMOUNT", description = "Requestor: the new budget. Default: unchanged.")
      String budget;

      @Override
      Object call(MarketClient market) {
        Proposal latest = market.proposal(proposal);
        Price p = price == null ? null : new Price(price, latest.offerTerms().price() == null ? Map.of() : latest.offerTerms().price().perUnit());
        Price m = maxPrice == null ? null : new Price(maxPrice, latest.demandTerms().maxPrice() == null ? Map.of() : latest.demandTerms().maxPrice().perUnit());
        return market.counter(proposal, new MarketClient.Counter(null, null, p, m, budget, null));
      }
    }

    @Command(name = "proposals", description = "List proposals you may see.", footer = {"", "Example:", "  fedgrid agreement proposals --demand dmd_01jd3v6q9e8r4k2m7n5p0s1t2w"})
    static final class Proposals extends ListCommand {
      @Option(names = "--demand", paramLabel = "DEMAND", description = "Only proposals on this demand. Default: all you may see.")
      String demand;

      @Override
      Object call(MarketClient market) {
        return market.proposals(demand, cursor, limit);
      }
    }

    @Command(name = "create", description = "Make an agreement of the latest proposal (the requestor); confirm it next.",
        footer = {"", "Example:", "  fedgrid agreement create prop_01jd3v6q9e8r4k2m7n5p0s1t2w --valid-for 600 --soft-cap 30"})
    static final class Create extends MarketCommand {
      @Parameters(paramLabel = "PROPOSAL", description = "The latest proposal (prop_...).")
      String proposal;

      @Option(names = "--valid-for", paramLabel = "SECONDS", defaultValue = "3600", description = "How long the provider has to approve. Default: ${DEFAULT-VALUE}.")
      long validFor;

      @Option(names = "--soft-cap", paramLabel = "AMOUNT", description = "Warn when a debit note passes it. Default: the hard cap, the demand's budget.")
      String softCap;

      @Override
      Object call(MarketClient market) {
        return market.createAgreement(proposal, validFor, softCap);
      }
    }

    @Command(name = "list", description = "List agreements you may see.", footer = {"", "Example:", "  fedgrid agreement list --job job_01jd3v6q9e8r4k2m7n5p0s1t2w --json"})
    static final class ListAgreements extends ListCommand {
      @Option(names = "--job", paramLabel = "JOB", description = "Only this job's agreements. Default: all you may see.")
      String job;

      @Override
      Object call(MarketClient market) {
        return market.agreements(job, cursor, limit);
      }
    }

    @Command(name = "show", description = "Show an agreement with its history.", footer = {"", "Example:", "  fedgrid agreement show agr_01jd3v6q9e8r4k2m7n5p0s1t2w --json"})
    static final class Show extends MarketCommand {
      @Parameters(paramLabel = "AGREEMENT", description = "The agreement id (agr_...).")
      String id;

      @Override
      Object call(MarketClient market) {
        return market.agreement(id);
      }

      @Override
      void print(Object result) {
        super.print(result);
        var history = new Table("FROM", "TO", "EVENT", "PARTY", "ACTOR", "AT", "REASON");
        ((Agreement) result).history().forEach(t -> history.row(t.from(), t.to(), t.event(), t.party(), t.actor(), t.at(), t.reason()));
        out().println();
        history.print(out());
      }
    }

    /** A transition of one agreement. */
    abstract static class Transition extends MarketCommand {
      @Parameters(paramLabel = "AGREEMENT", description = "The agreement id (agr_...).")
      String id;
    }

    @Command(name = "confirm", description = "Confirm an agreement you made (PROPOSAL to PENDING), asking the provider to approve.",
        footer = {"", "Example:", "  fedgrid agreement confirm agr_01jd3v6q9e8r4k2m7n5p0s1t2w"})
    static final class Confirm extends Transition {
      @Override
      Object call(MarketClient market) {
        return market.confirm(id);
      }
    }

    @Command(name = "approve", description = "Approve a pending agreement (the provider side, can_manage_infrastructure).",
        footer = {"", "Example:", "  fedgrid agreement approve agr_01jd3v6q9e8r4k2m7n5p0s1t2w"})
    static final class Approve extends Transition {
      @Override
      Object call(MarketClient market) {
        return market.approve(id);
      }
    }

    @Command(name = "reject", description = "Reject a pending agreement (the provider side).", footer = {"", "Example:", "  fedgrid agreement reject agr_01jd3v6q9e8r4k2m7n5p0s1t2w"})
    static final class Reject extends Transition {
      @Override
      Object call(MarketClient market) {
        return market.reject(id);
      }
    }

    @Command(name = "cancel", description = "Cancel an agreement not yet approved (the requestor).", footer = {"", "Example:", "  fedgrid agreement cancel agr_01jd3v6q9e8r4k2m7n5p0s1t2w"})
    static final class Cancel extends Transition {
      @Override
      Object call(MarketClient market) {
        return market.cancel(id);
      }
    }

    @Command(name = "terminate", description = "Terminate an approved agreement, with a reason (either side).",
        footer = {"", "Example:", "  fedgrid agreement terminate agr_01jd3v6q9e8r4k2m7n5p0s1t2w --reason \"job finished\""})
    static final class Terminate extends Transition {
      @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "Why. Required.")
      String reason;

      @Override
      Object call(MarketClient market) {
        return market.terminate(id, reason);
      }
    }
  }

  // ---- fedgrid allocation ----

  @Command(
      name = "allocation",
      description = "Allocations: money reserved for one of your jobs from your ledger account, from which accepted documents are paid.",
      subcommands = {AllocationCommand.Create.class, AllocationCommand.ListAllocations.class, AllocationCommand.Show.class, AllocationCommand.Release.class},
      footer = {"", "Example:", "  fedgrid allocation create --job job_01jd3v6q9e8r4k2m7n5p0s1t2w --amount 40"})
  static final class AllocationCommand extends Noun {
    @Command(name = "create", description = "Reserve an amount for one of your jobs; refused when your account holds less.",
        footer = {"", "Example:", "  fedgrid allocation create --job job_01jd3v6q9e8r4k2m7n5p0s1t2w --amount 40"})
    static final class Create extends MarketCommand {
      @Option(names = "--job", required = true, paramLabel = "JOB", description = "Your job (job_...). Required.")
      String job;

      @Option(names = "--amount", required = true, paramLabel = "AMOUNT", description = "How much to reserve. Required.")
      String amount;

      @Override
      Object call(MarketClient market) {
        return market.allocate(job, amount);
      }
    }

    @Command(name = "list", description = "List your allocations (all with can_edit_settings).", footer = {"", "Example:", "  fedgrid allocation list --json"})
    static final class ListAllocations extends ListCommand {
      @Override
      Object call(MarketClient market) {
        return market.allocations(cursor, limit);
      }
    }

    @Command(name = "show", description = "Show one allocation.", footer = {"", "Example:", "  fedgrid allocation show alc_01jd3v6q9e8r4k2m7n5p0s1t2w"})
    static final class Show extends MarketCommand {
      @Parameters(paramLabel = "ALLOCATION", description = "The allocation id (alc_...).")
      String id;

      @Override
      Object call(MarketClient market) {
        return market.allocation(id);
      }
    }

    @Command(name = "release", description = "Release an allocation: what is left returns to your account.",
        footer = {"", "Example:", "  fedgrid allocation release alc_01jd3v6q9e8r4k2m7n5p0s1t2w"})
    static final class Release extends MarketCommand {
      @Parameters(paramLabel = "ALLOCATION", description = "The allocation id (alc_...).")
      String id;

      @Override
      Object call(MarketClient market) {
        return market.releaseAllocation(id);
      }
    }
  }

  // ---- fedgrid debit-note and invoice ----

  /** A command on one payment document of a kind. */
  abstract static class DocumentCommand extends MarketCommand {
    @Parameters(paramLabel = "DOCUMENT", description = "The document id (doc_...).")
    String id;

    DocumentKind kind() {
      return spec.parent().name().equals("invoice") ? DocumentKind.INVOICE : DocumentKind.DEBIT_NOTE;
    }
  }

  @Command(name = "show", description = "Show one document.", footer = {"", "Example:", "  fedgrid invoice show doc_01jd3v6q9e8r4k2m7n5p0s1t2w --json"})
  static final class ShowDocument extends DocumentCommand {
    @Override
    Object call(MarketClient market) {
      return market.document(kind(), id);
    }
  }

  @Command(name = "accept", description = "Accept a document (the requestor): its unaccepted part is paid from the job's allocation.",
      footer = {"", "Example:", "  fedgrid debit-note accept doc_01jd3v6q9e8r4k2m7n5p0s1t2w"})
  static final class AcceptDocument extends DocumentCommand {
    @Override
    Object call(MarketClient market) {
      return market.accept(kind(), id);
    }
  }

  @Command(name = "reject", description = "Reject a document, with a reason (the requestor); an accepted one cannot be.",
      footer = {"", "Example:", "  fedgrid invoice reject doc_01jd3v6q9e8r4k2m7n5p0s1t2w --reason \"more than agreed\""})
  static final class RejectDocument extends DocumentCommand {
    @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "Why. Required.")
    String reason;

    @Override
    Object call(MarketClient market) {
      return market.reject(kind(), id, reason);
    }
  }

  @Command(name = "cancel", description = "Withdraw a document not yet decided (the provider side).", footer = {"", "Example:", "  fedgrid debit-note cancel doc_01jd3v6q9e8r4k2m7n5p0s1t2w"})
  static final class CancelDocument extends DocumentCommand {
    @Override
    Object call(MarketClient market) {
      return market.cancelDocument(kind(), id);
    }
  }

  @Command(name = "list", description = "List documents of agreements you may see.", footer = {"", "Example:", "  fedgrid invoice list --agreement agr_01jd3v6q9e8r4k2m7n5p0s1t2w --json"})
  static final class ListDocuments extends ListCommand {
    @Option(names = "--agreement", paramLabel = "AGREEMENT", description = "Only this agreement's. Default: all you may see.")
    String agreement;

    @Override
    Object call(MarketClient market) {
      return market.documents(spec.parent().name().equals("invoice") ? DocumentKind.INVOICE : DocumentKind.DEBIT_NOTE, agreement, cursor, limit);
    }
  }

  @Command(
      name = "debit-note",
      description = "Debit notes: the provider's running claim, the cumulative total due under an agreement.",
      subcommands = {DebitNoteCommand.Issue.class, ListDocuments.class, ShowDocument.class, AcceptDocument.class, RejectDocument.class, CancelDocument.class},
      footer = {"", "Example:", "  fedgrid debit-note issue agr_01jd3v6q9e8r4k2m7n5p0s1t2w --total 12.5", "  fedgrid debit-note accept doc_01jd3v6q9e8r4k2m7n5p0s1t2w"})
  static final class DebitNoteCommand extends Noun {
    @Command(name = "issue", description = "Issue a debit note with the cumulative total due (the provider side).",
        footer = {"", "Example:", "  fedgrid debit-note issue agr_01jd3v6q9e8r4k2m7n5p0s1t2w --total 12.5 --accept-within 600"})
    static final class Issue extends MarketCommand {
      @Parameters(paramLabel = "AGREEMENT", description = "The approved agreement (agr_...).")
      String agreement;

      @Option(names = "--total", required = true, paramLabel = "AMOUNT", description = "The total due so far, never below the last note's. Required.")
      String total;

      @Option(names = "--accept-within", paramLabel = "SECONDS", defaultValue = "3600", description = "The acceptance deadline from now. Default: ${DEFAULT-VALUE}.")
      long acceptWithin;

      @Override
      Object call(MarketClient market) {
        PaymentDocument d = market.issueDebitNote(agreement, total, acceptWithin);
        if (d.warning() != null) err().println("warning: " + d.warning());
        return d;
      }
    }
  }

  @Command(
      name = "invoice",
      description = "Invoices: the provider's final bill under an agreement.",
      subcommands = {InvoiceCommand.Issue.class, ListDocuments.class, ShowDocument.class, AcceptDocument.class, RejectDocument.class, CancelDocument.class},
      footer = {"", "Example:", "  fedgrid invoice issue agr_01jd3v6q9e8r4k2m7n5p0s1t2w --amount 30", "  fedgrid invoice accept doc_01jd3v6q9e8r4k2m7n5p0s1t2w"})
  static final class InvoiceCommand extends Noun {
    @Command(name = "issue", description = "Issue the invoice (the provider side).",
        footer = {"", "Example:", "  fedgrid invoice issue agr_01jd3v6q9e8r4k2m7n5p0s1t2w --amount 30 --justification \"usage after the last note\""})
    static final class Issue extends MarketCommand {
      @Parameters(paramLabel = "AGREEMENT", description = "The agreement (agr_...).")
      String agreement;

      @Option(names = "--amount", required = true, paramLabel = "AMOUNT", description = "The whole amount, at least the accepted total. Required.")
      String amount;

      @Option(names = "--justification", paramLabel = "TEXT", description = "Why it is above the accepted total. Default: none (required when above).")
      String justification;

      @Override
      Object call(MarketClient market) {
        return market.issueInvoice(agreement, amount, justification);
      }
    }
  }

  // ---- fedgrid ledger ----

  @Command(
      name = "ledger",
      description = "The internal payment ledger: accounts, balances, transfers and deposits.",
      subcommands = {LedgerCommand.ListAccounts.class, LedgerCommand.Show.class, LedgerCommand.Transfers.class, LedgerCommand.Deposit.class},
      footer = {"", "Example:", "  fedgrid ledger list", "  fedgrid ledger deposit --account user:ana --amount 100"})
  static final class LedgerCommand extends Noun {
    @Command(name = "list", description = "List the accounts you may see, with balances: yours, nodes' for the provider side, all with can_edit_settings.",
        footer = {"", "Example:", "  fedgrid ledger list --json"})
    static final class ListAccounts extends MarketCommand {
      @Override
      Object call(MarketClient market) {
        return market.accounts();
      }
    }

    @Command(name = "show", description = "Show one account's balance.", footer = {"", "Example:", "  fedgrid ledger show user:ana"})
    static final class Show extends MarketCommand {
      @Parameters(paramLabel = "ACCOUNT", description = "user:<name>, node:<node id>, allocation:<id> or system:mint.")
      String account;

      @Override
      Object call(MarketClient market) {
        return market.account(account);
      }
    }

    @Command(name = "transfers", description = "List an account's transfers, oldest first.", footer = {"", "Example:", "  fedgrid ledger transfers --account node:node_01jd3v6q9e8r4k2m7n5p0s1t2w"})
    static final class Transfers extends MarketCommand {
      @Option(names = "--account", paramLabel = "ACCOUNT", description = "Whose transfers. Default: yours (every transfer with can_edit_settings).")
      String account;

      @Option(names = "--limit", paramLabel = "N", defaultValue = "50", description = "At most this many, 1 to 500. Default: ${DEFAULT-VALUE}.")
      int limit;

      @Override
      Object call(MarketClient market) {
        return market.transfers(account, limit);
      }
    }

    @Command(name = "deposit", description = "Fund a user or node account from the system account (needs can_edit_settings); audited.",
        footer = {"", "Example:", "  fedgrid ledger deposit --account user:ana --amount 100 --reference grant-2026-11"})
    static final class Deposit extends MarketCommand {
      @Option(names = "--account", required = true, paramLabel = "ACCOUNT", description = "user:<name> or node:<node id>. Required.")
      String account;

      @Option(names = "--amount", required = true, paramLabel = "AMOUNT", description = "How much. Required.")
      String amount;

      @Option(names = "--reference", paramLabel = "REF", description = "Idempotency key: the same reference deposits once. Default: a random one.")
      String reference;

      @Option(names = "--memo", paramLabel = "TEXT", description = "What it is for. Default: 'deposit by <you>'.")
      String memo;

      @Override
      Object call(MarketClient market) {
        return market.deposit(account, amount, reference == null ? "deposit:" + UUID.randomUUID() : reference, memo);
      }
    }
  }
}
