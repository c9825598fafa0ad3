package dev.fedgrid.gateway.payments;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.market.Money;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The ledger's invariants under random sequences of deposits, transfers (many refused for want of
 * funds), retries of earlier requests and reuses of references with other content: after every
 * step the balances equal a model's, every account but the system one is at least zero, the
 * balances of all accounts sum to zero, and each balance equals its credits minus its debits. One
 * database serves every try; each try uses accounts of its own.
 */
class LedgerPropertiesTest {
  private static final int ACCOUNTS = 4;
  private static final AtomicInteger TRY = new AtomicInteger();
  private static Path dir;
  private static SqlDatabase db;
  private static SqlLedger ledger;

  @BeforeContainer
  static void open() throws IOException {
    dir = Files.createTempDirectory("fedgrid-ledger-properties");
    db = SqlDatabase.sqlite(dir.resolve("gateway.db"));
    ledger = new SqlLedger(db, Clock.systemUTC());
    ledger.open(AccountId.SYSTEM);
  }

  @AfterContainer
  static void close() throws IOException {
    db.close();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  enum Kind { DEPOSIT, TRANSFER, RETRY, REUSE }

  /** One step: what, between which of the try's accounts, how many hundredths, which earlier step. */
  record Step(Kind kind, int from, int to, int cents, int earlier) {}

  @Provide
  Arbitrary<List<Step>> steps() {
    Arbitrary<Step> step = Combinators.combine(
            Arbitraries.of(Kind.class), Arbitraries.integers().between(0, ACCOUNTS - 1), Arbitraries.integers().between(0, ACCOUNTS - 1),
            Arbitraries.integers().between(1, 5_000), Arbitraries.integers().between(0, 1_000))
        .as(Step::new);
    return step.list().ofMinSize(1).ofMaxSize(40);
  }

  @Property(tries = 60)
  void balancesFollowTheModelAndTheLedgerStaysBalanced(@ForAll("steps") List<Step> steps) {
    int t = TRY.incrementAndGet();
    List<AccountId> accounts = new ArrayList<>();
    for (int i = 0; i < ACCOUNTS; i++) accounts.add(ledger.open(AccountId.user("t" + t + "_" + i)).id());
    Map<AccountId, BigDecimal> model = new HashMap<>();
    accounts.forEach(a -> model.put(a, BigDecimal.ZERO));
    List<TransferRequest> asked = new ArrayList<>();
    Map<String, Transfer> booked = new HashMap<>();

    for (int n = 0; n < steps.size(); n++) {
      Step s = steps.get(n);
      Money amount = new Money(BigDecimal.valueOf(s.cents(), 2));
      TransferRequest request = switch (s.kind()) {
        case DEPOSIT -> new TransferRequest("t" + t + "/" + n, AccountId.SYSTEM, accounts.get(s.to()), amount, "");
        case TRANSFER -> s.from() == s.to() ? null : new TransferRequest("t" + t + "/" + n, accounts.get(s.from()), accounts.get(s.to()), amount, "");
        case RETRY -> asked.isEmpty() ? null : asked.get(s.earlier() % asked.size());
        case REUSE -> {
          if (asked.isEmpty()) yield null;
          TransferRequest e = asked.get(s.earlier() % asked.size());
          yield new TransferRequest(e.reference(), e.from(), e.to(), e.amount().plus(Money.of("0.01")), "");
        }
      };
      if (request == null) continue;
      Transfer earlier = booked.get(request.reference());
      BigDecimal fromBalance = request.from().equals(AccountId.SYSTEM) ? null : model.get(request.from());
      try {
        Transfer done = ledger.transfer(request);
        if (earlier != null) {
          assertThat(earlier.sameAs(request)).as("a reference reused with other content was booked").isTrue();
          assertThat(done).isEqualTo(earlier);
        } else {
          assertThat(fromBalance == null || fromBalance.compareTo(amount(request)) >= 0).as("an overdraft was booked").isTrue();
          booked.put(request.reference(), done);
          if (fromBalance != null) model.put(request.from(), fromBalance.subtract(amount(request)));
          model.put(request.to(), model.get(request.to()).add(amount(request)));
        }
      } catch (ConflictException refused) {
        if (earlier != null) {
          assertThat(refused.code()).isEqualTo("DUPLICATE_REFERENCE");
          assertThat(earlier.sameAs(request)).isFalse();
        } else {
          assertThat(refused.code()).isEqualTo("INSUFFICIENT_FUNDS");
          assertThat(fromBalance).isLessThan(amount(request));
        }
      }
      asked.add(request);
      for (AccountId a : accounts) {
        BigDecimal balance = ledger.account(a).orElseThrow().balance();
        assertThat(balance).as(a.value()).isEqualByComparingTo(model.get(a)).isGreaterThanOrEqualTo(BigDecimal.ZERO);
      }
    }
    List<Account> all = ledger.accounts();
    assertThat(all.stream().map(Account::balance).reduce(BigDecimal.ZERO, BigDecimal::add)).as("sum of all balances").isZero();
    for (AccountId a : accounts) {
      BigDecimal net = BigDecimal.ZERO;
      for (Transfer x : ledger.transfers(Optional.of(a), 1000)) {
        if (x.to().equals(a)) net = net.add(x.amount().amount());
        if (x.from().equals(a)) net = net.subtract(x.amount().amount());
      }
      assertThat(net).as("credits minus debits of " + a).isEqualByComparingTo(model.get(a));
    }
  }

  private static BigDecimal amount(TransferRequest r) {
    return r.amount().amount();
  }
}
