package dev.fedgrid.gateway.payments;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * A ledger account and its balance.
 *
 * @param balance signed, with 18 decimals; never below zero unless {@code mayGoNegative}
 * @param mayGoNegative true only for {@link AccountId#SYSTEM}
 */
public record Account(AccountId id, BigDecimal balance, boolean mayGoNegative, Instant createdAt) {
  public Account {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(balance, "balance");
    Objects.requireNonNull(createdAt, "createdAt");
  }
}
