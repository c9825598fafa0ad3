package dev.fedgrid.market;

import dev.fedgrid.api.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A recursive-descent parser of the constraint language; one instance parses one text.
 *
 * <p>Each grammar rule of {@code docs/market.md} is one method. The input is at most {@link
 * Constraint#MAX_LENGTH} characters and nests at most {@link Constraint#MAX_DEPTH} deep, so the
 * recursion is bounded and parsing is linear in the input's length. Not thread-safe.
 */
final class ConstraintParser {
  private final String in;
  private int pos;
  private int depth;

  ConstraintParser(String in) {
    this.in = in;
  }

  /** constraint = ws filter ws EOF */
  Constraint parse() {
    if (in == null) throw new InvalidRequestException("INVALID_CONSTRAINT", "missing constraint");
    if (in.length() > Constraint.MAX_LENGTH) {
      throw new InvalidRequestException(
          "INVALID_CONSTRAINT",
          "constraint is " + in.length() + " characters long; the limit is " + Constraint.MAX_LENGTH
              + ": split it or simplify it",
          Map.of("length", in.length()));
    }
    skipWhitespace();
    Constraint c = filter();
    skipWhitespace();
    if (pos < in.length()) throw error(pos, "unexpected '" + in.charAt(pos) + "' after the end of the constraint");
    return c;
  }

  /** filter = "(" ws ( "&" list | "|" list | "!" ws filter ws | item ) ")" */
  private Constraint filter() {
    int open = pos;
    expect('(');
    if (++depth > Constraint.MAX_DEPTH) {
      throw error(open, "constraint nests deeper than " + Constraint.MAX_DEPTH + " levels");
    }
    skipWhitespace();
    Constraint c;
    char ch = peek();
    if (ch == '&' || ch == '|') {
      pos++;
      List<Constraint> operands = list();
      c = ch == '&' ? new Constraint.All(operands) : new Constraint.Any(operands);
    } else if (ch == '!') {
      pos++;
      skipWhitespace();
      c = new Constraint.Not(filter());
      skipWhitespace();
    } else {
      c = item();
    }
    expect(')');
    depth--;
    return c;
  }

  /** list = { ws filter } ws */
  private List<Constraint> list() {
    List<Constraint> operands = new ArrayList<>();
    skipWhitespace();
    while (peek() == '(') {
      operands.add(filter());
      skipWhitespace();
    }
    return operands;
  }

  /** item = key ws operator value; the value runs to the closing ')'. */
  private Constraint item() {
    int keyStart = pos;
    while (pos < in.length() && !isSpecial(in.charAt(pos)) && !Character.isWhitespace(in.charAt(pos))) pos++;
    String key = in.substring(keyStart, pos);
    if (key.isEmpty()) {
      throw error(keyStart, pos < in.length() ? "expected a property key or one of & | !" : "expected a property key");
    }
    if (!Properties.isKey(key)) {
      throw error(keyStart, "'" + key + "' is not a property key: use lower-case words joined by dots, such as fedgrid.inf.mem.gib");
    }
    skipWhitespace();
    Constraint.Operator op = operator();
    return value(key, op);
  }

  private Constraint.Operator operator() {
    int at = pos;
    char ch = peek();
    switch (ch) {
      case '=' -> {
        pos++;
        return Constraint.Operator.EQ;
      }
      case '<', '>' -> {
        pos++;
        boolean orEqual = peek() == '=';
        if (orEqual) pos++;
        if (ch == '<') return orEqual ? Constraint.Operator.LE : Constraint.Operator.LT;
        return orEqual ? Constraint.Operator.GE : Constraint.Operator.GT;
      }
      case '!' -> throw error(at, "'!=' is not an operator: write (!(key=value))");
      default -> throw error(at, "expected an operator (=, <, <=, >, >=)");
    }
  }

  /**
   * Reads the value up to the closing ')': escapes, wildcards and surrounding whitespace. An escape
   * never yields whitespace, so trimming needs no escape tracking; only unescaped stars are
   * wildcards.
   */
  private Constraint value(String key, Constraint.Operator op) {
    StringBuilder text = new StringBuilder();
    List<Integer> stars = new ArrayList<>(); // indexes into text of unescaped '*'
    List<Integer> positions = new ArrayList<>(); // input position of each char of text
    int valueStart = pos;
    while (pos < in.length() && in.charAt(pos) != ')') {
      char ch = in.charAt(pos);
      if (ch == '(') throw error(pos, "unescaped '(' in a value: write \\(");
      positions.add(pos);
      if (ch == '\\') {
        if (pos + 1 >= in.length() || "()*\\".indexOf(in.charAt(pos + 1)) < 0) {
          throw error(pos, "unknown escape: only \\( \\) \\* and \\\\ are escapes");
        }
        text.append(in.charAt(pos + 1));
        pos += 2;
        continue;
      }
      if (ch == '*') stars.add(text.length());
      text.append(ch);
      pos++;
    }
    if (pos >= in.length()) throw error(pos, "expected ')'");
    int from = 0;
    int to = text.length();
    while (from < to && Character.isWhitespace(text.charAt(from))) from++;
    while (to > from && Character.isWhitespace(text.charAt(to - 1))) to--;
    if (from == to) throw error(valueStart, "expected a value");
    boolean prefix = stars.contains(from);
    boolean suffix = stars.contains(to - 1);
    if (prefix && to - from == 1) {
      if (op != Constraint.Operator.EQ) throw error(positions.get(from), "presence is written (key=*), not with '" + op.symbol() + "'");
      return new Constraint.Present(key);
    }
    int litFrom = prefix ? from + 1 : from;
    int litTo = suffix ? to - 1 : to;
    for (int star : stars) {
      if (star >= litFrom && star < litTo) {
        throw error(positions.get(star), "'*' may only start or end a value: write \\* for a literal star");
      }
    }
    if (prefix || suffix) {
      if (op != Constraint.Operator.EQ) {
        throw error(positions.get(prefix ? from : to - 1), "wildcards work only with '=', not '" + op.symbol() + "'");
      }
      String literal = text.substring(litFrom, litTo).strip();
      if (literal.isEmpty()) throw error(positions.get(from), "a wildcard needs text beside it; (key=*) tests presence");
      return new Constraint.Wildcard(key, literal, prefix, suffix);
    }
    String literal = text.substring(from, to);
    if (op != Constraint.Operator.EQ && Constraint.Compare.number(literal) == null) {
      throw error(positions.get(from), "'" + op.symbol() + "' compares numbers, but '" + literal + "' is not a number");
    }
    return new Constraint.Compare(key, op, literal);
  }

  private static boolean isSpecial(char ch) {
    return ch == '=' || ch == '<' || ch == '>' || ch == '(' || ch == ')' || ch == '!' || ch == '*' || ch == '\\';
  }

  private char peek() {
    return pos < in.length() ? in.charAt(pos) : '\0';
  }

  private void expect(char ch) {
    if (peek() != ch) {
      String found = pos < in.length() ? " but found '" + in.charAt(pos) + "'" : "";
      throw error(pos, "expected '" + ch + "'" + found);
    }
    pos++;
  }

  private void skipWhitespace() {
    while (pos < in.length() && Character.isWhitespace(in.charAt(pos))) pos++;
  }

  /** An error at input position {@code at}, showing the input around it with a caret underneath. */
  private InvalidRequestException error(int at, String problem) {
    int column = at + 1;
    int from = Math.max(0, at - 40);
    int to = Math.min(in.length(), at + 40);
    StringBuilder shown = new StringBuilder();
    String lead = from > 0 ? "…" : "";
    shown.append(lead);
    for (int i = from; i < to; i++) {
      char ch = in.charAt(i);
      shown.append(Character.isISOControl(ch) ? ' ' : ch);
    }
    if (to < in.length()) shown.append('…');
    String caret = " ".repeat(lead.length() + at - from) + "^";
    return new InvalidRequestException(
        "INVALID_CONSTRAINT",
        "invalid constraint: " + problem + " at column " + column + "\n  " + shown + "\n  " + caret,
        Map.of("column", column));
  }
}
