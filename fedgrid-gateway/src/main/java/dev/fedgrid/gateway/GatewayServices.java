package dev.fedgrid.gateway;

import dev.fedgrid.gateway.access.DatasetAccess;
import dev.fedgrid.gateway.access.IdentityService;
import dev.fedgrid.gateway.access.JoinTokens;
import dev.fedgrid.gateway.access.Passwords;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.control.ControlServer;
import dev.fedgrid.gateway.control.GatewayControl;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.gateway.jobs.JobAdmission;
import dev.fedgrid.gateway.market.Activities;
import dev.fedgrid.gateway.market.Market;
import dev.fedgrid.gateway.payments.SqlLedger;
import dev.fedgrid.gateway.privacy.BudgetAdmission;
import dev.fedgrid.gateway.privacy.PrivacyBudgets;
import dev.fedgrid.gateway.requests.ReleaseRequests;
import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.gateway.state.SqlStateStore;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;

/**
 * The gateway's services over one database, wired in the one place that both {@link Gateway#start}
 * and the tests use, so that what the tests exercise is what runs: the state store, the audit
 * ledger, identities, dataset access, privacy budgets, node join tokens, release requests and the
 * job admissions, in the order they run.
 *
 * <pre>{@code
 * var services = GatewayServices.of(db, Clock.systemUTC());
 * try (Coordinator coordinator = services.coordinator(options);
 *     ControlServer control = services.controlServer(coordinator).port(7600).start()) {
 *   ...
 * }
 * }</pre>
 *
 * <p>Thread-safe: every service is.
 */
public final class GatewayServices {
  private final SqlStateStore store;
  private final AuditLog audit;
  private final IdentityService identity;
  private final DatasetAccess datasets;
  private final PrivacyBudgets budgets;
  private final JoinTokens joinTokens;
  private final ReleaseRequests releases;
  private final Market market;
  private final Activities activities;
  private final List<JobAdmission> admissions;
  private final InstantSource clock;

  private GatewayServices(SqlDatabase db, InstantSource clock, Passwords passwords) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.store = new SqlStateStore(Objects.requireNonNull(db, "db"));
    this.audit = new AuditLog(db, clock);
    this.identity = new IdentityService(db, audit, clock, passwords);
    this.datasets = new DatasetAccess(db, store, audit, clock);
    this.budgets = new PrivacyBudgets(db, store, audit, clock);
    this.joinTokens = new JoinTokens(db, audit, clock);
    this.releases = new ReleaseRequests(db, store, budgets, audit, datasets::mayDownloadResults, clock);
    this.market = new Market(db, store, audit, new SqlLedger(db, clock), clock);
    this.activities = new Activities(db, store, audit, datasets, clock, market);
    // Run, in this order, inside the transaction that stores a submitted job: dataset grants first
    // (a job on data its submitter may not process reserves nothing), then privacy budgets.
    this.admissions = List.of(datasets, new BudgetAdmission(budgets));
  }

  /** The services on {@code db}, hashing passwords with {@link Passwords#owasp()}. */
  public static GatewayServices of(SqlDatabase db, InstantSource clock) {
    return new GatewayServices(db, clock, Passwords.owasp());
  }

  /** The services on {@code db}, hashing passwords with {@code passwords} (cheaper ones in tests). */
  public static GatewayServices of(SqlDatabase db, InstantSource clock, Passwords passwords) {
    return new GatewayServices(db, clock, Objects.requireNonNull(passwords, "passwords"));
  }

  /**
   * A coordinator (not started) that runs {@link #admissions()} on every submission and asks the
   * {@link #market()} which nodes may work for a market job and where its rounds are billed.
   */
  public Coordinator coordinator(CoordinatorOptions options) {
    return new Coordinator(store, audit, clock, options, admissions, market);
  }

  /**
   * A builder for the control API serving {@code control} (the coordinator) with every governance
   * service set; the caller chooses only where it listens.
   */
  public ControlServer.Builder controlServer(GatewayControl control) {
    return ControlServer.builder(control, identity, audit, datasets, budgets, releases, joinTokens).market(market).activities(activities);
  }

  public SqlStateStore store() {
    return store;
  }

  public AuditLog audit() {
    return audit;
  }

  public IdentityService identity() {
    return identity;
  }

  public DatasetAccess datasets() {
    return datasets;
  }

  public PrivacyBudgets budgets() {
    return budgets;
  }

  public JoinTokens joinTokens() {
    return joinTokens;
  }

  public ReleaseRequests releases() {
    return releases;
  }

  /** The compute market, with the internal ledger as its payment platform. */
  public Market market() {
    return market;
  }

  /** Activities under market agreements; also the backend of the fleet server's activity API. */
  public Activities activities() {
    return activities;
  }

  /** The job admissions, in the order they run: dataset grants, then privacy budgets. */
  public List<JobAdmission> admissions() {
    return admissions;
  }
}
