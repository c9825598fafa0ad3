package dev.fedgrid.gateway.market;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The market as the control API shows it and takes it: amounts are decimal strings (exact, 18
 * places at most), constraints their text, properties plain JSON values (number, string, boolean,
 * list of strings). {@link MarketJson} converts between these and fedgrid-market's types.
 */
public final class MarketViews {
  private MarketViews() {}

  /**
   * A price: a fixed part plus a coefficient per usage counter.
   *
   * @param perUnit keyed by counter: {@code examples_epochs}, {@code cpu_seconds}, {@code bytes}
   */
  public record Price(String fixed, Map<String, String> perUnit) {}

  /** What a provider offers: the node, its properties, its constraints on requestors and its price. */
  public record OfferTerms(String node, Map<String, Object> properties, String constraints, Price price) {}

  /**
   * What a job needs: its constraints on offers, the most it pays per part of the price, its budget
   * and the usage it expects (to estimate the price against the budget).
   */
  public record DemandTerms(String job, Map<String, Object> properties, String constraints, Price maxPrice, String budget, Map<String, Long> expectedUsage) {}

  public record OfferView(String id, String state, OfferTerms terms, String publishedBy, Instant publishedAt, Instant withdrawnAt) {}

  public record DemandView(String id, String job, String owner, String state, DemandTerms terms, Instant createdAt, Instant withdrawnAt) {}

  /** One proposal of a negotiation; {@code latest} when it can still be countered or agreed. */
  public record ProposalView(
      String id, String negotiation, String previous, String offer, String demand, String issuer, String issuedBy, OfferTerms offerTerms,
      DemandTerms demandTerms, String estimate, boolean latest, Instant createdAt) {}

  public record TransitionView(String from, String to, String event, String party, String actor, Instant at, String reason) {}

  public record AgreementView(
      String id, String proposal, String offer, String demand, String job, String node, String requestor, String state, Instant expiresAt,
      String softCap, String hardCap, String estimate, Instant createdAt, List<TransitionView> history) {}

  public record AllocationView(
      String id, String job, String owner, String account, String total, String spent, String remaining, String state, Instant createdAt,
      Instant releasedAt) {}

  /**
   * A debit note ({@code kind} {@code debit_note}) or invoice ({@code invoice}).
   *
   * @param warning set when a debit note just issued passed the agreement's soft cap
   */
  public record DocumentView(
      String id, String kind, String agreement, String amount, String status, Instant issuedAt, Instant acceptanceDeadline, String justification,
      String reason, String transfer, String warning) {}

  public record AccountView(String id, String balance, Instant createdAt) {}

  public record TransferView(String id, String reference, String from, String to, String amount, String memo, Instant at) {}

  /**
   * Whether a node holds an APPROVED agreement for a job: what a key custodian asks before it
   * releases a share of a confidential job's data key (docs/security.md).
   *
   * @param node the node as asked for, a node id or the name in its certificate
   * @param nodes the ids of the registered nodes of that name (or that id)
   * @param approved whether one of them holds an APPROVED agreement for the job
   */
  public record AssignmentView(String job, String node, List<String> nodes, boolean approved) {}

  /** A page of a list: {@code nextCursor} is absent on the last page. */
  public record Page<T>(List<T> items, String nextCursor) {}
}
