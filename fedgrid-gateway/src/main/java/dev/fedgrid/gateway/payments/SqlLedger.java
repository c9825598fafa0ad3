package dev.fedgrid.gateway.payments;

import static dev.fedgrid.gateway.state.SqlDatabase.all;
import static dev.fedgrid.gateway.state.SqlDatabase.first;
import static dev.fedgrid.gateway.state.SqlDatabase.instant;
import static dev.fedgrid.gateway.state.SqlDatabase.text;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.Ids;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.gateway.state.SqlDatabase;
import dev.fedgrid.market.Money;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The internal double-entry ledger in the gateway's database ({@code ledger_accounts}, {@code
 * ledger_transfers}): the default {@link PaymentPlatform}.
 *
 * <p><b>Algorithm.</b> A transfer is one row naming the debited and the credited account and one
 * amount, so it balances by construction; each account's balance is kept beside it and changed in
 * the same transaction as the row is written. In that transaction the ledger first looks the
 * reference up (a hit returns the stored transfer or refuses a different one), then checks that
 * both accounts are open and that the debited one keeps a balance of at least zero, then writes.
 * {@link SqlDatabase} serialises transactions, so a check and the write that depends on it never
 * interleave with another transfer. Amounts are exact decimals with 18 places, stored as text.
 * Each operation is a constant number of indexed statements.
 *
 * <p>Thread-safe; every method runs in, or joins, a database transaction.
 */
public final class SqlLedger implements PaymentPlatform {
  private static final String TRANSFER_COLUMNS = "id, reference, debit_account, credit_account, amount, memo, created_at";

  private final SqlDatabase db;
  private final InstantSource clock;

  public SqlLedger(SqlDatabase db, InstantSource clock) {
    this.db = Objects.requireNonNull(db, "db");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public Account open(AccountId id) {
    return db.transact("open ledger account " + id, () -> {
      Optional<Account> existing = find(id);
      if (existing.isPresent()) return existing.get();
      Account account = new Account(id, BigDecimal.ZERO.setScale(Money.SCALE), id.equals(AccountId.SYSTEM), clock.instant());
      PreparedStatement s = db.statement("INSERT INTO ledger_accounts (id, balance, may_go_negative, created_at) VALUES (?, ?, ?, ?)");
      s.setString(1, id.value());
      s.setString(2, decimal(account.balance()));
      s.setBoolean(3, account.mayGoNegative());
      s.setString(4, text(account.createdAt()));
      s.executeUpdate();
      return account;
    });
  }

  @Override
  public Optional<Account> account(AccountId id) {
    return db.transact("read ledger account " + id, () -> find(id));
  }

  @Override
  public List<Account> accounts() {
    return db.transact("list ledger accounts", () -> all(db.statement("SELECT id, balance, may_go_negative, created_at FROM ledger_accounts ORDER BY id"), SqlLedger::account));
  }

  @Override
  public Transfer transfer(TransferRequest request) {
    return db.transact("transfer " + request.amount() + " from " + request.from() + " to " + request.to(), () -> {
      PreparedStatement byRef = db.statement("SELECT " + TRANSFER_COLUMNS + " FROM ledger_transfers WHERE reference = ?");
      byRef.setString(1, request.reference());
      Optional<Transfer> earlier = first(byRef, SqlLedger::transfer);
      if (earlier.isPresent()) {
        Transfer t = earlier.get();
        if (t.sameAs(request)) return t;
        throw new ConflictException(
            "DUPLICATE_REFERENCE",
            "reference '" + request.reference() + "' was used by transfer " + t.id() + " of " + t.amount() + " from " + t.from() + " to " + t.to()
                + "; a retry must repeat the same accounts and amount, a new transfer needs a new reference",
            Map.of("reference", request.reference(), "transfer", t.id()));
      }
      Account from = find(request.from()).orElseThrow(() -> notFound(request.from()));
      Account to = find(request.to()).orElseThrow(() -> notFound(request.to()));
      BigDecimal amount = request.amount().amount();
      BigDecimal fromAfter = from.balance().subtract(amount);
      if (fromAfter.signum() < 0 && !from.mayGoNegative()) {
        var details = new LinkedHashMap<String, Object>();
        details.put("account", from.id().value());
        details.put("balance", Money.of(from.balance().toPlainString()).toString());
        details.put("amount", request.amount().toString());
        throw new ConflictException(
            "INSUFFICIENT_FUNDS",
            "account " + from.id() + " holds " + details.get("balance") + ", less than the " + request.amount() + " to transfer to " + to.id()
                + "; deposit more or transfer less",
            details);
      }
      setBalance(from.id(), fromAfter);
      setBalance(to.id(), to.balance().add(amount));
      Transfer t = new Transfer(Ids.next("trf"), request.reference(), from.id(), to.id(), request.amount(), request.memo(), clock.instant());
      PreparedStatement insert = db.statement("INSERT INTO ledger_transfers (" + TRANSFER_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?)");
      insert.setString(1, t.id());
      insert.setString(2, t.reference());
      insert.setString(3, t.from().value());
      insert.setString(4, t.to().value());
      insert.setString(5, decimal(t.amount().amount()));
      insert.setString(6, t.memo());
      insert.setString(7, text(t.at()));
      insert.executeUpdate();
      return t;
    });
  }

  @Override
  public Optional<Transfer> transfer(String reference) {
    return db.transact("read ledger transfer " + reference, () -> {
      PreparedStatement s = db.statement("SELECT " + TRANSFER_COLUMNS + " FROM ledger_transfers WHERE reference = ?");
      s.setString(1, reference);
      return first(s, SqlLedger::transfer);
    });
  }

  @Override
  public List<Transfer> transfers(Optional<AccountId> account, int limit) {
    return db.transact("list ledger transfers", () -> {
      PreparedStatement s;
      if (account.isPresent()) {
        s = db.statement("SELECT " + TRANSFER_COLUMNS + " FROM ledger_transfers WHERE debit_account = ? OR credit_account = ? ORDER BY id LIMIT ?");
        s.setString(1, account.get().value());
        s.setString(2, account.get().value());
        s.setInt(3, limit);
      } else {
        s = db.statement("SELECT " + TRANSFER_COLUMNS + " FROM ledger_transfers ORDER BY id LIMIT ?");
        s.setInt(1, limit);
      }
      return all(s, SqlLedger::transfer);
    });
  }

  private Optional<Account> find(AccountId id) throws SQLException {
    PreparedStatement s = db.statement("SELECT id, balance, may_go_negative, created_at FROM ledger_accounts WHERE id = ?");
    s.setString(1, id.value());
    return first(s, SqlLedger::account);
  }

  private void setBalance(AccountId id, BigDecimal balance) throws SQLException {
    PreparedStatement s = db.statement("UPDATE ledger_accounts SET balance = ? WHERE id = ?");
    s.setString(1, decimal(balance));
    s.setString(2, id.value());
    s.executeUpdate();
  }

  private static NotFoundException notFound(AccountId id) {
    return new NotFoundException("ACCOUNT_NOT_FOUND", "ledger account " + id + " is not open; deposit into it or open it first", Map.of("account", id.value()));
  }

  /** A signed amount as stored: plain, 18 decimals. */
  static String decimal(BigDecimal value) {
    return value.setScale(Money.SCALE, RoundingMode.UNNECESSARY).toPlainString();
  }

  private static Account account(ResultSet r) throws SQLException {
    return new Account(AccountId.of(r.getString(1)), new BigDecimal(r.getString(2)), r.getBoolean(3), instant(r.getString(4)));
  }

  private static Transfer transfer(ResultSet r) throws SQLException {
    return new Transfer(
        r.getString(1), r.getString(2), AccountId.of(r.getString(3)), AccountId.of(r.getString(4)), Money.of(r.getString(5)), r.getString(6), instant(r.getString(7)));
  }
}
