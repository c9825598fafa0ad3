package dev.fedgrid.market;

import dev.fedgrid.api.InvalidRequestException;
import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;

/**
 * The typed value of one property: a number, a string, a boolean or a list of strings.
 *
 * <p>Comparisons against a constraint's literal never throw: a literal that does not fit the type
 * makes the comparison false. Immutable and thread-safe.
 */
public sealed interface PropertyValue {
  /** Whether {@code this op literal} holds; false when the literal does not fit this type. */
  boolean compare(Constraint.Operator op, String literal);

  /** Whether a wildcard pattern matches this value; only strings and lists of strings can. */
  default boolean matches(Constraint.Wildcard pattern) {
    return false;
  }

  /** A number, compared numerically by every operator. */
  record Num(BigDecimal value) implements PropertyValue {
    public Num {
      Objects.requireNonNull(value, "value");
    }

    @Override
    public boolean compare(Constraint.Operator op, String literal) {
      BigDecimal other = Constraint.Compare.number(literal);
      return other != null && op.holds(value.compareTo(other));
    }
  }

  /** A string, equal to a literal with the same characters; ordering operators never hold. */
  record Text(String value) implements PropertyValue {
    public Text {
      Objects.requireNonNull(value, "value");
    }

    @Override
    public boolean compare(Constraint.Operator op, String literal) {
      return op == Constraint.Operator.EQ && value.equals(literal);
    }

    @Override
    public boolean matches(Constraint.Wildcard pattern) {
      return pattern.matches(value);
    }
  }

  /** A boolean, equal to the literal {@code true} or {@code false}. */
  record Bool(boolean value) implements PropertyValue {
    @Override
    public boolean compare(Constraint.Operator op, String literal) {
      return op == Constraint.Operator.EQ && Boolean.toString(value).equals(literal);
    }
  }

  /** A list of strings, equal to a literal when any element is. */
  record TextList(List<String> values) implements PropertyValue {
    public TextList {
      values = List.copyOf(values);
    }

    @Override
    public boolean compare(Constraint.Operator op, String literal) {
      return op == Constraint.Operator.EQ && values.contains(literal);
    }

    @Override
    public boolean matches(Constraint.Wildcard pattern) {
      return values.stream().anyMatch(pattern::matches);
    }
  }

  /** A number property from a double; refuses NaN and infinities. */
  static Num of(double value) {
    if (!Double.isFinite(value)) {
      throw new InvalidRequestException("INVALID_PROPERTY", "a number property must be finite, got " + value);
    }
    return new Num(BigDecimal.valueOf(value));
  }
}
