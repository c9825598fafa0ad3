package dev.fedgrid.market;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A linear price: {@code price = fixed + Σ coefficient(c) · usage(c)} over {@link UsageCounter}s.
 *
 * <p>All arithmetic is exact ({@link Money} has a fixed scale and counters are integers). A counter
 * without a coefficient costs nothing. As a demand's {@code maxPrice} the same shape states the
 * most the requestor pays per counter and as fixed part. Immutable.
 *
 * @param fixed the part due whatever the usage
 * @param coefficients price per unit of each counter
 */
public record PriceModel(Money fixed, Map<UsageCounter, Money> coefficients) {
  /** Free. */
  public static final PriceModel FREE = new PriceModel(Money.ZERO, Map.of());

  public PriceModel {
    Objects.requireNonNull(fixed, "fixed");
    coefficients.values().forEach(c -> Objects.requireNonNull(c, "coefficient"));
    coefficients = coefficients.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(coefficients));
  }

  /** A model with a fixed part and no coefficients yet. */
  public static PriceModel fixed(Money fixed) {
    return new PriceModel(fixed, Map.of());
  }

  /** This model with the coefficient of {@code counter} set. */
  public PriceModel with(UsageCounter counter, Money coefficient) {
    var copy = new EnumMap<UsageCounter, Money>(UsageCounter.class);
    copy.putAll(coefficients);
    copy.put(counter, coefficient);
    return new PriceModel(fixed, copy);
  }

  /** The coefficient of {@code counter}, zero when absent. */
  public Money coefficient(UsageCounter counter) {
    return coefficients.getOrDefault(counter, Money.ZERO);
  }

  /** The exact price of {@code usage}. */
  public Money price(Usage usage) {
    Money total = fixed;
    for (UsageCounter c : UsageCounter.values()) {
      total = total.plus(coefficient(c).times(usage.get(c)));
    }
    return total;
  }

  /**
   * Where this price exceeds {@code max}, compared part by part: the fixed parts, then each
   * counter's coefficient. Empty when every part is within the maximum.
   */
  public List<String> excessOver(PriceModel max) {
    List<String> excess = new ArrayList<>();
    if (fixed.compareTo(max.fixed) > 0) excess.add("fixed price " + fixed + " exceeds the maximum " + max.fixed);
    for (UsageCounter c : UsageCounter.values()) {
      if (coefficient(c).compareTo(max.coefficient(c)) > 0) {
        excess.add("price per " + c.key() + " " + coefficient(c) + " exceeds the maximum " + max.coefficient(c));
      }
    }
    return excess;
  }
}
