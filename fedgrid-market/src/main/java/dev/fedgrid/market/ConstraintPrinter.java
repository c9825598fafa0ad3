package dev.fedgrid.market;

import java.util.List;

/** Prints the canonical text form of a {@link Constraint}: no whitespace, specials escaped. */
final class ConstraintPrinter {
  private ConstraintPrinter() {}

  static String print(Constraint c) {
    StringBuilder out = new StringBuilder();
    print(c, out);
    return out.toString();
  }

  private static void print(Constraint c, StringBuilder out) {
    switch (c) {
      case Constraint.All all -> group('&', all.operands(), out);
      case Constraint.Any any -> group('|', any.operands(), out);
      case Constraint.Not not -> {
        out.append("(!");
        print(not.operand(), out);
        out.append(')');
      }
      case Constraint.Present p -> out.append('(').append(p.key()).append("=*)");
      case Constraint.Compare cmp -> {
        out.append('(').append(cmp.key()).append(cmp.op().symbol());
        escape(cmp.value(), out);
        out.append(')');
      }
      case Constraint.Wildcard w -> {
        out.append('(').append(w.key()).append('=');
        if (w.anyPrefix()) out.append('*');
        escape(w.text(), out);
        if (w.anySuffix()) out.append('*');
        out.append(')');
      }
    }
  }

  private static void group(char op, List<Constraint> operands, StringBuilder out) {
    out.append('(').append(op);
    for (Constraint c : operands) print(c, out);
    out.append(')');
  }

  /** Escapes the characters with a meaning inside a value: {@code ( ) * \}. */
  static void escape(String value, StringBuilder out) {
    for (int i = 0; i < value.length(); i++) {
      char ch = value.charAt(i);
      if (ch == '(' || ch == ')' || ch == '*' || ch == '\\') out.append('\\');
      out.append(ch);
    }
  }
}
