package dev.fedgrid.gateway.market;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.governance.AuditEvent;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.gateway.GatewayServices;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.access.TestIdentity;
import dev.fedgrid.gateway.audit.AuditQuery;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.gateway.json.Json;
import dev.fedgrid.gateway.market.MarketStore.AgreementRow;
import dev.fedgrid.gateway.market.MarketStore.TransitionRow;
import dev.fedgrid.gateway.market.MarketViews.DemandTerms;
import dev.fedgrid.gateway.market.MarketViews.OfferTerms;
import dev.fedgrid.gateway.market.MarketViews.Price;
import dev.fedgrid.gateway.state.NodeRecord;
import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.market.AgreementEvent;
import dev.fedgrid.market.AgreementState;
import dev.fedgrid.market.Party;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The agreement state machine through the real {@link Market} and SQLite, under random sequences of
 * operations by the requestor, the provider side, a stranger and the system (expiry as the clock
 * moves, the sweeps, the debit note deadline rule), with the wrong party as often as the right one.
 * After every step the stored agreement is compared with a model written from the documented table
 * (docs/market.md) and not from the code: the state is the model's; the stored history is a chain of
 * transitions of the table; the audit events the step wrote are exactly the model's (none for a
 * refused operation: it changes nothing, apart from an expiry or deadline that was due, which is
 * recorded first as documented); a final state never changes. One database serves every try; each
 * try has agreements of its own and looks only at their audit events.
 */
class AgreementStorePropertiesTest {
  private static final Duration NOTE_DEADLINE = Duration.ofSeconds(60);
  private static Path dir;
  private static SqlDatabase db;
  private static Coordinator coordinator;
  private static Market market;
  private static MarketStore store;
  private static GatewayServices services;
  private static MarketTest.TestClock clock;
  private static Principal requestor;
  private static Principal provider;
  private static Principal stranger;
  private static String offer;
  private static String demand;

  /** The documented table: from, event, parties allowed, to. */
  private record Rule(AgreementState from, AgreementEvent event, Set<Party> parties, AgreementState to) {}

  private static final List<Rule> TABLE = List.of(
      new Rule(AgreementState.PROPOSAL, AgreementEvent.CONFIRM, Set.of(Party.REQUESTOR), AgreementState.PENDING),
      new Rule(AgreementState.PROPOSAL, AgreementEvent.CANCEL, Set.of(Party.REQUESTOR), AgreementState.CANCELLED),
      new Rule(AgreementState.PROPOSAL, AgreementEvent.EXPIRE, Set.of(Party.SYSTEM), AgreementState.EXPIRED),
      new Rule(AgreementState.PENDING, AgreementEvent.APPROVE, Set.of(Party.PROVIDER), AgreementState.APPROVED),
      new Rule(AgreementState.PENDING, AgreementEvent.REJECT, Set.of(Party.PROVIDER), AgreementState.REJECTED),
      new Rule(AgreementState.PENDING, AgreementEvent.CANCEL, Set.of(Party.REQUESTOR), AgreementState.CANCELLED),
      new Rule(AgreementState.PENDING, AgreementEvent.EXPIRE, Set.of(Party.SYSTEM), AgreementState.EXPIRED),
      new Rule(AgreementState.APPROVED, AgreementEvent.TERMINATE, Set.of(Party.REQUESTOR, Party.PROVIDER), AgreementState.TERMINATED));

  private static final Set<AgreementState> FINAL =
      Set.of(AgreementState.REJECTED, AgreementState.CANCELLED, AgreementState.EXPIRED, AgreementState.TERMINATED);

  @BeforeContainer
  static void open() throws Exception {
    dir = Files.createTempDirectory("fedgrid-agreement-properties");
    clock = new MarketTest.TestClock();
    db = SqlDatabase.sqlite(dir.resolve("gateway.db"));
    services = GatewayServices.of(db, clock, TestIdentity.FAST);
    coordinator = services.coordinator(new CoordinatorOptions(Duration.ofMillis(200), Duration.ofMillis(1500), Duration.ofMillis(500), Duration.ofMillis(50)));
    market = services.market();
    store = new MarketStore(db);
    provider = services.identity().authenticate(services.identity().bootstrap().orElseThrow().token());
    for (String name : List.of("ana", "bo")) services.identity().createUser(provider, name, "data-scientist", Optional.of("correct horse battery staple"));
    requestor = services.identity().authenticate(services.identity().login("ana", "correct horse battery staple", "127.0.0.1").token());
    stranger = services.identity().authenticate(services.identity().login("bo", "correct horse battery staple", "127.0.0.1").token());
    NodeId node = NodeId.random();
    Instant now = clock.instant();
    services.store().putNode(new NodeRecord(node, "hospital-a", 8, 16384, "test", new byte[32], now, now));
    services.store().putDataset(node, new DatasetMetadata("cancer", DatasetFormat.CSV, List.of(1), List.of(new ColumnStats("x0", 100, 1.0, 2.0)),
        LabelInfo.categorical("y", List.of(50L, 50L)), 100, 10, List.of("oncology"), Visibility.PUBLIC), now);
    String spec = "{\"name\": \"m\", \"datasets\": [\"cancer\"], \"model\": {\"layers\": [{\"type\": \"dense\", \"units\": 1}],"
        + " \"loss\": \"binary_cross_entropy\"}, \"rounds\": 1, \"minNodes\": 2}";
    String job = coordinator.submitJob(requestor, Json.mapper().readValue(spec, JobSpec.class)).id().value();
    offer = market.publishOffer(provider, new OfferTerms(node.value(), Map.of("fedgrid.dataset.tags", List.of("oncology")), null,
        new Price("1", Map.of()))).id();
    demand = market.publishDemand(requestor, new DemandTerms(job, Map.of(), "(fedgrid.dataset.tags=oncology)", new Price("5", Map.of()), "1000", Map.of())).id();
  }

  @AfterContainer
  static void close() throws IOException {
    coordinator.close();
    db.close();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  enum Op {
    CONFIRM_BY_REQUESTOR, CONFIRM_BY_PROVIDER, APPROVE_BY_PROVIDER, APPROVE_BY_REQUESTOR, REJECT_BY_PROVIDER, REJECT_BY_REQUESTOR,
    CANCEL_BY_REQUESTOR, CANCEL_BY_PROVIDER, TERMINATE_BY_REQUESTOR, TERMINATE_BY_PROVIDER, TERMINATE_WITHOUT_REASON, TERMINATE_BY_STRANGER,
    ADVANCE_CLOCK, READ, EXPIRY_SWEEP, ISSUE_DEBIT_NOTE, DEADLINE_SWEEP
  }

  /** One step; {@code seconds} is how far an {@code ADVANCE_CLOCK} moves the clock. */
  record Step(Op op, int seconds) {}

  @Provide
  Arbitrary<List<Step>> steps() {
    Arbitrary<Op> op = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(4, Arbitraries.just(Op.CONFIRM_BY_REQUESTOR)),
        net.jqwik.api.Tuple.of(4, Arbitraries.just(Op.APPROVE_BY_PROVIDER)),
        net.jqwik.api.Tuple.of(3, Arbitraries.just(Op.ADVANCE_CLOCK)),
        net.jqwik.api.Tuple.of(2, Arbitraries.just(Op.ISSUE_DEBIT_NOTE)),
        net.jqwik.api.Tuple.of(10, Arbitraries.of(Op.class)));
    return Combinators.combine(op, Arbitraries.integers().between(1, 120)).as(Step::new).list().ofMinSize(1).ofMaxSize(30);
  }

  /** The model of one agreement, from the documented rules. */
  private static final class Model {
    AgreementState state = AgreementState.PROPOSAL;
    final Instant expiresAt;
    int transitions;
    final List<Instant> unacceptedNotes = new ArrayList<>();
    final List<String> noteIds = new ArrayList<>();
    final List<String> expectedEvents = new ArrayList<>();

    Model(Instant expiresAt) {
      this.expiresAt = expiresAt;
    }

    boolean open() {
      return state == AgreementState.PROPOSAL || state == AgreementState.PENDING;
    }

    /** Records the expiry when due: agreements expire lazily, in their own transaction, before the action. */
    void expireIfDue(Instant now) {
      if (open() && !now.isBefore(expiresAt)) move(AgreementState.EXPIRED, "agreement.expired");
    }

    /** The deadline rule: an APPROVED agreement with a note unaccepted past its deadline ends. */
    void enforceDeadlines(Instant now) {
      if (state == AgreementState.APPROVED && unacceptedNotes.stream().anyMatch(now::isAfter)) {
        expectedEvents.add("debit_note.overdue");
        move(AgreementState.TERMINATED, "agreement.terminated");
      }
    }

    /** The event by {@code party}; false when the table refuses it. */
    boolean apply(AgreementEvent event, Party party, String action) {
      for (Rule r : TABLE) {
        if (r.from() == state && r.event() == event && r.parties().contains(party)) {
          move(r.to(), action);
          return true;
        }
      }
      return false;
    }

    private void move(AgreementState to, String action) {
      state = to;
      transitions++;
      expectedEvents.add(action);
    }
  }

  @Property(tries = 80)
  void noIllegalTransitionIsReachableAndRefusalsChangeNothing(@ForAll("steps") List<Step> steps, @ForAll @IntRange(min = 30, max = 240) int validFor) {
    String proposal = market.propose(requestor, offer, demand).id();
    String id = market.createAgreement(requestor, proposal, Optional.of((long) validFor), Optional.empty()).id();
    Model model = new Model(clock.instant().plusSeconds(validFor));
    long seen = lastAuditSeq();
    check(id, model, seen, "created");

    for (Step step : steps) {
      seen = lastAuditSeq();
      AgreementState before = stored(id).state();
      model.expectedEvents.clear();
      boolean expectRefused = model(step, model);
      Optional<FedGridException> refused = perform(step, id, model);
      String what = step + " from " + before;
      assertThat(refused.isPresent()).as("%s refused (%s)", what, refused.map(Throwable::getMessage).orElse("accepted")).isEqualTo(expectRefused);
      check(id, model, seen, what);
      if (FINAL.contains(before)) assertThat(stored(id).state()).as("final state %s after %s", before, step).isEqualTo(before);
    }
  }

  /** Applies the step to the model; returns whether the market must refuse it. */
  private static boolean model(Step step, Model m) {
    Instant now = clock.instant();
    return switch (step.op()) {
      case CONFIRM_BY_REQUESTOR -> act(m, now, AgreementEvent.CONFIRM, Party.REQUESTOR, "agreement.confirmed");
      case CANCEL_BY_REQUESTOR -> act(m, now, AgreementEvent.CANCEL, Party.REQUESTOR, "agreement.cancelled");
      case APPROVE_BY_PROVIDER -> act(m, now, AgreementEvent.APPROVE, Party.PROVIDER, "agreement.approved");
      case REJECT_BY_PROVIDER -> act(m, now, AgreementEvent.REJECT, Party.PROVIDER, "agreement.rejected");
      case TERMINATE_BY_REQUESTOR -> act(m, now, AgreementEvent.TERMINATE, Party.REQUESTOR, "agreement.terminated");
      case TERMINATE_BY_PROVIDER -> act(m, now, AgreementEvent.TERMINATE, Party.PROVIDER, "agreement.terminated");
      // not the party the event needs (the provider side is not the job's owner, the requestor may not approve), or no reason
      case CONFIRM_BY_PROVIDER, APPROVE_BY_REQUESTOR, REJECT_BY_REQUESTOR, CANCEL_BY_PROVIDER, TERMINATE_WITHOUT_REASON -> {
        m.expireIfDue(now);
        m.enforceDeadlines(now);
        yield true;
      }
      case TERMINATE_BY_STRANGER -> true; // cannot even see it
      case ADVANCE_CLOCK, EXPIRY_SWEEP, DEADLINE_SWEEP, READ -> false;
      case ISSUE_DEBIT_NOTE -> {
        m.expireIfDue(now);
        boolean allowed = m.state == AgreementState.APPROVED || m.state == AgreementState.TERMINATED;
        if (allowed) {
          m.unacceptedNotes.add(now.plus(NOTE_DEADLINE));
          m.expectedEvents.add("debit_note.issued");
        }
        yield !allowed;
      }
    };
  }

  private static boolean act(Model m, Instant now, AgreementEvent event, Party party, String action) {
    m.expireIfDue(now);
    m.enforceDeadlines(now);
    return !m.apply(event, party, action);
  }

  /** Runs the step against the market; the refusal, if any. */
  private static Optional<FedGridException> perform(Step step, String id, Model m) {
    try {
      switch (step.op()) {
        case CONFIRM_BY_REQUESTOR -> market.confirm(requestor, id);
        case CONFIRM_BY_PROVIDER -> market.confirm(provider, id);
        case APPROVE_BY_PROVIDER -> market.approve(provider, id);
        case APPROVE_BY_REQUESTOR -> market.approve(requestor, id);
        case REJECT_BY_PROVIDER -> market.reject(provider, id);
        case REJECT_BY_REQUESTOR -> market.reject(requestor, id);
        case CANCEL_BY_REQUESTOR -> market.cancel(requestor, id);
        case CANCEL_BY_PROVIDER -> market.cancel(provider, id);
        case TERMINATE_BY_REQUESTOR -> market.terminate(requestor, id, "no longer needed");
        case TERMINATE_BY_PROVIDER -> market.terminate(provider, id, "maintenance");
        case TERMINATE_WITHOUT_REASON -> market.terminate(requestor, id, " ");
        case TERMINATE_BY_STRANGER -> market.terminate(stranger, id, "not mine");
        case ADVANCE_CLOCK -> clock.advance(Duration.ofSeconds(step.seconds()));
        case READ -> {
          market.agreement(requestor, id);
          Instant now = clock.instant();
          m.expireIfDue(now);
          m.enforceDeadlines(now);
        }
        case EXPIRY_SWEEP -> {
          market.expireDue();
          m.expireIfDue(clock.instant());
        }
        case DEADLINE_SWEEP -> {
          market.enforceDeadlines();
          m.enforceDeadlines(clock.instant());
        }
        case ISSUE_DEBIT_NOTE -> {
          String total = Integer.toString(m.noteIds.size() + 1);
          m.noteIds.add(market.issueDebitNote(provider, id, total, Optional.of(NOTE_DEADLINE.toSeconds())).id());
        }
      }
      return Optional.empty();
    } catch (FedGridException e) {
      return Optional.of(e);
    }
  }

  /** The stored agreement against the model: state, a history of documented transitions, the step's audit events. */
  private static void check(String id, Model model, long afterSeq, String what) {
    AgreementRow row = stored(id);
    assertThat(row.state()).as("state after %s", what).isEqualTo(model.state);
    List<TransitionRow> history = db.transact("read history", () -> store.history(id));
    assertThat(history).as("transitions after %s", what).hasSize(model.transitions);
    AgreementState at = AgreementState.PROPOSAL;
    for (TransitionRow t : history) {
      assertThat(t.from()).as("history is a chain").isEqualTo(at);
      assertThat(TABLE).as("transition %s is in the table", t)
          .anyMatch(r -> r.from() == t.from() && r.event() == t.event() && r.parties().contains(t.party()) && r.to() == t.to());
      at = t.to();
    }
    assertThat(at).isEqualTo(row.state());
    Set<String> targets = new HashSet<>(model.noteIds);
    targets.add(id);
    List<String> written = services.audit().events(AuditQuery.all(AuditQuery.MAX_LIMIT).after(afterSeq)).stream()
        .filter(e -> targets.contains(e.target()) || e.action().equals("debit_note.issued") && e.details().get("agreement").equals(id))
        .filter(e -> !e.action().equals("agreement.created"))
        .map(AuditEvent::action)
        .toList();
    assertThat(written).as("audit events of %s", what).isEqualTo(model.expectedEvents);
  }

  private static AgreementRow stored(String id) {
    return db.transact("read agreement", () -> store.agreement(id)).orElseThrow();
  }

  private static long auditCursor;

  /** The sequence number of the latest audit event. */
  private static long lastAuditSeq() {
    long seq = auditCursor;
    while (true) {
      List<AuditEvent> page = services.audit().events(AuditQuery.all(AuditQuery.MAX_LIMIT).after(seq));
      if (page.isEmpty()) return auditCursor = seq;
      seq = page.getLast().seq();
    }
  }
}
