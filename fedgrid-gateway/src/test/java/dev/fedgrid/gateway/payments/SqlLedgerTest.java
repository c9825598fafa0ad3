package dev.fedgrid.gateway.payments;

import dev.fedgrid.gateway.state.SqlDatabase;
import java.nio.file.Path;
import java.time.Clock;

/** The internal ledger on SQLite passes the payment-platform contract. */
class SqlLedgerTest extends PaymentPlatformContract {
  private SqlDatabase db;

  @Override
  protected PaymentPlatform open(Path dir) {
    db = SqlDatabase.sqlite(dir.resolve("gateway.db"));
    return new SqlLedger(db, Clock.systemUTC());
  }

  @Override
  protected void close() {
    db.close();
  }
}
