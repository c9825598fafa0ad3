package dev.fedgrid.market;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.InvalidRequestException;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class PricingTest {
  @Test
  void priceIsFixedPlusCoefficientsTimesUsageExactly() {
    PriceModel model = PriceModel.fixed(Money.of("0.5"))
        .with(UsageCounter.EXAMPLES_EPOCHS, Money.of("0.000001"))
        .with(UsageCounter.CPU_SECONDS, Money.of("0.0001"))
        .with(UsageCounter.BYTES, Money.of("0.000000000002"));
    Usage usage = Usage.NONE
        .with(UsageCounter.EXAMPLES_EPOCHS, 1_234_567)
        .with(UsageCounter.CPU_SECONDS, 3_600)
        .with(UsageCounter.BYTES, 1_000_000_000_000L);
    assertThat(model.price(usage)).isEqualTo(Money.of("4.094567"));
    assertThat(model.price(usage).amount()).isEqualTo(new BigDecimal("4.094567000000000000"));
    assertThat(model.price(Usage.NONE)).isEqualTo(Money.of("0.5"));
  }

  @Test
  void decimalArithmeticHasNoBinaryRoundingError() {
    assertThat(Money.of("0.1").plus(Money.of("0.2"))).isEqualTo(Money.of("0.3"));
    assertThat(Money.of("0.000000000000000001").times(Long.MAX_VALUE)).hasToString("9.223372036854775807");
  }

  @Test
  void equalityIsNumeric() {
    assertThat(Money.of("1.50")).isEqualTo(Money.of("1.5")).hasToString("1.5");
    assertThat(Money.ZERO).hasToString("0");
  }

  @Test
  void refusesNegativeNaNAndTooFineAmounts() {
    assertThatThrownBy(() -> Money.of("-0.01"))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_AMOUNT"))
        .hasMessage("amounts cannot be negative, got -0.01");
    assertThatThrownBy(() -> Money.of("NaN")).hasMessage("'NaN' is not a decimal amount such as 0.25");
    assertThatThrownBy(() -> Money.of("0.0000000000000000001"))
        .hasMessage("amounts have at most 18 decimals, got 0.0000000000000000001");
    assertThatThrownBy(() -> Money.of(1).minus(Money.of(2))).hasMessage("amounts cannot be negative, got -1");
  }

  @Test
  void refusesNegativeUsage() {
    assertThatThrownBy(() -> Usage.NONE.with(UsageCounter.BYTES, -1))
        .hasMessage("usage counter fedgrid.usage.bytes cannot be negative, got -1");
  }

  @Test
  void refusesNonFiniteNumberProperties() {
    assertThatThrownBy(() -> Properties.builder().put("a", Double.NaN))
        .hasMessage("a number property must be finite, got NaN");
    assertThatThrownBy(() -> Properties.builder().put("A", 1))
        .hasMessageContaining("'A' is not a property key");
  }
}
