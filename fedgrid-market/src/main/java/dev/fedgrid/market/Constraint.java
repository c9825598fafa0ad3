package dev.fedgrid.market;

import dev.fedgrid.api.InvalidRequestException;
import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A condition on the {@link Properties} of the other side of a negotiation, written in an
 * LDAP-filter-like language such as {@code (&(fedgrid.inf.mem.gib>=4)(fedgrid.dataset.tags=oncology))}.
 *
 * <p>The grammar is in {@code docs/market.md}. {@link #parse} reads the text form; {@link
 * #toString()} prints the canonical form, which parses back to an equal constraint.
 *
 * <p>Evaluation never fails: a comparison on a key the properties lack is false, and so is a
 * comparison whose value does not fit the property's type (a number against a string, an ordering
 * against a boolean). Negation is plain boolean negation, so {@code (!(k=v))} holds when {@code k}
 * is absent; write {@code (&(k=*)(!(k=v)))} to require the key.
 *
 * <p>Instances are immutable and thread-safe.
 */
public sealed interface Constraint {
  /** Longest constraint text {@link #parse} accepts, in characters. */
  int MAX_LENGTH = 8 * 1024;

  /** Deepest nesting of parentheses {@link #parse} accepts. */
  int MAX_DEPTH = 32;

  /** The constraint that always holds, {@code (&)}. */
  Constraint ALWAYS = new All(List.of());

  /**
   * Parses the text form of a constraint.
   *
   * @throws InvalidRequestException with code {@code INVALID_CONSTRAINT} naming the 1-based column
   *     and showing the input with a caret under it
   */
  static Constraint parse(String text) {
    return new ConstraintParser(text).parse();
  }

  /** Whether this constraint holds against {@code properties}. */
  boolean test(Properties properties);

  /** A comparison operator of a {@link Compare}. */
  enum Operator {
    EQ("="),
    LT("<"),
    LE("<="),
    GT(">"),
    GE(">=");

    private final String symbol;

    Operator(String symbol) {
      this.symbol = symbol;
    }

    /** The operator as written, for example {@code >=}. */
    public String symbol() {
      return symbol;
    }

    boolean holds(int comparison) {
      return switch (this) {
        case EQ -> comparison == 0;
        case LT -> comparison < 0;
        case LE -> comparison <= 0;
        case GT -> comparison > 0;
        case GE -> comparison >= 0;
      };
    }
  }

  /** Holds when every operand holds; {@code (&)} always holds. */
  record All(List<Constraint> operands) implements Constraint {
    public All {
      operands = List.copyOf(operands);
    }

    @Override
    public boolean test(Properties properties) {
      for (Constraint c : operands) {
        if (!c.test(properties)) return false;
      }
      return true;
    }

    @Override
    public String toString() {
      return ConstraintPrinter.print(this);
    }
  }

  /** Holds when some operand holds; {@code (|)} never holds. */
  record Any(List<Constraint> operands) implements Constraint {
    public Any {
      operands = List.copyOf(operands);
    }

    @Override
    public boolean test(Properties properties) {
      for (Constraint c : operands) {
        if (c.test(properties)) return true;
      }
      return false;
    }

    @Override
    public String toString() {
      return ConstraintPrinter.print(this);
    }
  }

  /** Holds when its operand does not. */
  record Not(Constraint operand) implements Constraint {
    public Not {
      Objects.requireNonNull(operand, "operand");
    }

    @Override
    public boolean test(Properties properties) {
      return !operand.test(properties);
    }

    @Override
    public String toString() {
      return ConstraintPrinter.print(this);
    }
  }

  /** {@code (key=*)}: holds when the properties have the key, whatever its value. */
  record Present(String key) implements Constraint {
    public Present {
      Properties.checkKey(key);
    }

    @Override
    public boolean test(Properties properties) {
      return properties.get(key).isPresent();
    }

    @Override
    public String toString() {
      return ConstraintPrinter.print(this);
    }
  }

  /**
   * {@code (key op value)}: compares a property with a literal value.
   *
   * <p>{@code =} compares numbers numerically ({@code 4} equals {@code 4.0}), strings exactly,
   * booleans against {@code true} or {@code false}, and a list when any element equals the value.
   * The ordering operators apply to numbers only, so their value must be a number.
   *
   * @param value the literal: not empty, no leading or trailing whitespace
   */
  record Compare(String key, Operator op, String value) implements Constraint {
    private static final Pattern NUMBER = Pattern.compile("-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]{1,4})?");

    public Compare {
      Properties.checkKey(key);
      Objects.requireNonNull(op, "op");
      checkLiteral(value);
      if (op != Operator.EQ && number(value) == null) {
        throw new InvalidRequestException(
            "INVALID_CONSTRAINT", "'" + op.symbol() + "' compares numbers, but '" + value + "' is not a number");
      }
    }

    /** The value as a number, or null when it is not one. */
    static BigDecimal number(String text) {
      return NUMBER.matcher(text).matches() ? new BigDecimal(text) : null;
    }

    @Override
    public boolean test(Properties properties) {
      return properties.get(key).map(v -> v.compare(op, value)).orElse(false);
    }

    @Override
    public String toString() {
      return ConstraintPrinter.print(this);
    }
  }

  /**
   * {@code (key=text*)}, {@code (key=*text)} or {@code (key=*text*)}: a string, or any element of
   * a list, starts with, ends with or contains {@code text}. Never holds for numbers or booleans.
   *
   * @param text the literal between the wildcards: not empty, no leading or trailing whitespace
   */
  record Wildcard(String key, String text, boolean anyPrefix, boolean anySuffix) implements Constraint {
    public Wildcard {
      Properties.checkKey(key);
      checkLiteral(text);
      if (!anyPrefix && !anySuffix) {
        throw new IllegalArgumentException("a wildcard needs '*' before or after the text; use Compare");
      }
    }

    boolean matches(String s) {
      if (anyPrefix && anySuffix) return s.contains(text);
      return anyPrefix ? s.endsWith(text) : s.startsWith(text);
    }

    @Override
    public boolean test(Properties properties) {
      return properties.get(key).map(v -> v.matches(this)).orElse(false);
    }

    @Override
    public String toString() {
      return ConstraintPrinter.print(this);
    }
  }

  private static void checkLiteral(String value) {
    if (value == null || value.isEmpty() || !value.strip().equals(value)) {
      throw new InvalidRequestException(
          "INVALID_CONSTRAINT", "a constraint value must be non-empty without surrounding whitespace: '" + value + "'");
    }
  }
}
