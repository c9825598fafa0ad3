package dev.fedgrid.market;

import dev.fedgrid.api.InvalidRequestException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;
import java.util.Objects;

/**
 * A non-negative amount of the grid's single currency, exact to {@value #SCALE} decimal places.
 *
 * <p>Why {@link BigDecimal} with a fixed scale rather than {@code long} minor units: prices are
 * linear in usage counters, and a coefficient per byte or per example is far smaller than a cent
 * (say 0.000000002 per byte). A {@code long} of such tiny units overflows at about 9.2 whole units
 * when it has 18 decimals, while cents cannot express the coefficient at all. With 18 decimals (the
 * precision of ERC-20 tokens such as Golem's GLM) a coefficient times a {@code long} counter is
 * exact, so pricing, debit notes and allocations never round. {@code double} is never used.
 *
 * <p>Immutable and thread-safe; {@link #equals} is numeric because the scale is fixed.
 */
public record Money(BigDecimal amount) implements Comparable<Money> {
  /** Decimal places every amount carries. */
  public static final int SCALE = 18;

  /** Nothing. */
  public static final Money ZERO = new Money(BigDecimal.ZERO);

  /** @throws InvalidRequestException when negative or finer than {@value #SCALE} decimals */
  public Money {
    Objects.requireNonNull(amount, "amount");
    if (amount.signum() < 0) {
      String shown = amount.stripTrailingZeros().toPlainString();
      throw new InvalidRequestException("INVALID_AMOUNT", "amounts cannot be negative, got " + shown, Map.of("amount", shown));
    }
    try {
      amount = amount.setScale(SCALE, RoundingMode.UNNECESSARY);
    } catch (ArithmeticException e) {
      throw new InvalidRequestException(
          "INVALID_AMOUNT", "amounts have at most " + SCALE + " decimals, got " + amount.toPlainString(), Map.of("amount", amount.toPlainString()));
    }
  }

  /** Parses a decimal such as {@code "0.25"}; refuses NaN, exponents beyond range and negatives. */
  public static Money of(String decimal) {
    try {
      return new Money(new BigDecimal(Objects.requireNonNull(decimal, "decimal").strip()));
    } catch (NumberFormatException e) {
      throw new InvalidRequestException("INVALID_AMOUNT", "'" + decimal + "' is not a decimal amount such as 0.25", Map.of("amount", decimal));
    }
  }

  /** Whole units. */
  public static Money of(long units) {
    return new Money(BigDecimal.valueOf(units));
  }

  public Money plus(Money other) {
    return new Money(amount.add(other.amount));
  }

  /** @throws InvalidRequestException when {@code other} is larger, since amounts are never negative */
  public Money minus(Money other) {
    return new Money(amount.subtract(other.amount));
  }

  /** This amount times a usage count; exact. */
  public Money times(long count) {
    if (count < 0) throw new IllegalArgumentException("negative count " + count);
    return new Money(amount.multiply(BigDecimal.valueOf(count)));
  }

  public boolean isZero() {
    return amount.signum() == 0;
  }

  @Override
  public int compareTo(Money other) {
    return amount.compareTo(other.amount);
  }

  /** The amount without trailing zeros, such as {@code 12.5}. */
  @Override
  public String toString() {
    return amount.signum() == 0 ? "0" : amount.stripTrailingZeros().toPlainString();
  }
}
