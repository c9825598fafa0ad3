package dev.fedgrid.market;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.market.Constraint.All;
import dev.fedgrid.market.Constraint.Any;
import dev.fedgrid.market.Constraint.Compare;
import dev.fedgrid.market.Constraint.Not;
import dev.fedgrid.market.Constraint.Operator;
import dev.fedgrid.market.Constraint.Present;
import dev.fedgrid.market.Constraint.Wildcard;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConstraintParserTest {
  @Test
  void parsesTheIssueExample() {
    Constraint c = Constraint.parse("(&(fedgrid.inf.mem.gib>=4)(fedgrid.dataset.tags=oncology))");
    assertThat(c).isEqualTo(new All(List.of(
        new Compare("fedgrid.inf.mem.gib", Operator.GE, "4"),
        new Compare("fedgrid.dataset.tags", Operator.EQ, "oncology"))));
    assertThat(c.toString()).isEqualTo("(&(fedgrid.inf.mem.gib>=4)(fedgrid.dataset.tags=oncology))");
  }

  static Stream<Arguments> happyPaths() {
    return Stream.of(
        Arguments.of("(fedgrid.runtime=djl*)", new Wildcard("fedgrid.runtime", "djl", false, true)),
        Arguments.of("(fedgrid.runtime=*0.35)", new Wildcard("fedgrid.runtime", "0.35", true, false)),
        Arguments.of("(fedgrid.runtime=*torch*)", new Wildcard("fedgrid.runtime", "torch", true, true)),
        Arguments.of("(fedgrid.inf.gpu=*)", new Present("fedgrid.inf.gpu")),
        Arguments.of("(a<1)", new Compare("a", Operator.LT, "1")),
        Arguments.of("(a<=-1.5)", new Compare("a", Operator.LE, "-1.5")),
        Arguments.of("(a>2e3)", new Compare("a", Operator.GT, "2e3")),
        Arguments.of("(a>=0)", new Compare("a", Operator.GE, "0")),
        Arguments.of("(a=true)", new Compare("a", Operator.EQ, "true")),
        Arguments.of("(!(a=1))", new Not(new Compare("a", Operator.EQ, "1"))),
        Arguments.of("(|(a=1)(b=2))", new Any(List.of(new Compare("a", Operator.EQ, "1"), new Compare("b", Operator.EQ, "2")))),
        Arguments.of("(&)", Constraint.ALWAYS),
        Arguments.of("(|)", new Any(List.of())),
        Arguments.of("(a=Intel Xeon)", new Compare("a", Operator.EQ, "Intel Xeon")),
        Arguments.of("(a=\\(x\\)\\*\\\\)", new Compare("a", Operator.EQ, "(x)*\\")),
        Arguments.of("(a=\\**)", new Wildcard("a", "*", false, true)),
        Arguments.of("(a=\\*)", new Compare("a", Operator.EQ, "*")),
        Arguments.of("  (&\n  ( fedgrid.inf.mem.gib >= 4 )\n  (!( b =  x y ))\n)  ",
            new All(List.of(new Compare("fedgrid.inf.mem.gib", Operator.GE, "4"), new Not(new Compare("b", Operator.EQ, "x y"))))),
        Arguments.of("(a= * djl *)", new Wildcard("a", "djl", true, true)),
        Arguments.of("(golem_1.x_2.y3=1)", new Compare("golem_1.x_2.y3", Operator.EQ, "1")));
  }

  @ParameterizedTest
  @MethodSource("happyPaths")
  void parses(String text, Constraint expected) {
    Constraint parsed = Constraint.parse(text);
    assertThat(parsed).isEqualTo(expected);
    assertThat(Constraint.parse(parsed.toString())).isEqualTo(expected);
  }

  static Stream<Arguments> syntaxErrors() {
    return Stream.of(
        Arguments.of("", 1, "expected '('"),
        Arguments.of("fedgrid.x=1", 1, "expected '(' but found 'f'"),
        Arguments.of("(&(fedgrid.inf.mem.gib>=4)", 27, "expected ')'"),
        Arguments.of("(fedgrid.x=1", 13, "expected ')'"),
        Arguments.of("(Fedgrid.x=1)", 2, "'Fedgrid.x' is not a property key: use lower-case words joined by dots, such as fedgrid.inf.mem.gib"),
        Arguments.of("(a.=1)", 2, "'a.' is not a property key: use lower-case words joined by dots, such as fedgrid.inf.mem.gib"),
        Arguments.of("(=1)", 2, "expected a property key or one of & | !"),
        Arguments.of("(", 2, "expected a property key"),
        Arguments.of("(fedgrid.x 1)", 12, "expected an operator (=, <, <=, >, >=)"),
        Arguments.of("(fedgrid.x!=1)", 11, "'!=' is not an operator: write (!(key=value))"),
        Arguments.of("(fedgrid.x=)", 12, "expected a value"),
        Arguments.of("(fedgrid.x=  )", 12, "expected a value"),
        Arguments.of("(fedgrid.x>=abc)", 13, "'>=' compares numbers, but 'abc' is not a number"),
        Arguments.of("(fedgrid.x=a*b)", 13, "'*' may only start or end a value: write \\* for a literal star"),
        Arguments.of("(fedgrid.x>djl*)", 15, "wildcards work only with '=', not '>'"),
        Arguments.of("(fedgrid.x>*)", 12, "presence is written (key=*), not with '>'"),
        Arguments.of("(fedgrid.x=**)", 12, "a wildcard needs text beside it; (key=*) tests presence"),
        Arguments.of("(fedgrid.x=a(b)", 13, "unescaped '(' in a value: write \\("),
        Arguments.of("(fedgrid.x=a\\qb)", 13, "unknown escape: only \\( \\) \\* and \\\\ are escapes"),
        Arguments.of("(fedgrid.x=1))", 14, "unexpected ')' after the end of the constraint"),
        Arguments.of("(!(a=1)(b=2))", 8, "expected ')' but found '('"),
        Arguments.of("(!)", 3, "expected '(' but found ')'"),
        Arguments.of("(&(a=1)x)", 8, "expected ')' but found 'x'"));
  }

  @ParameterizedTest
  @MethodSource("syntaxErrors")
  void reportsSyntaxErrorsWithTheirColumn(String text, int column, String problem) {
    assertThatThrownBy(() -> Constraint.parse(text))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.code()).isEqualTo("INVALID_CONSTRAINT");
          assertThat(e.details()).containsEntry("column", column);
          assertThat(e.getMessage()).startsWith("invalid constraint: " + problem + " at column " + column + "\n");
        });
  }

  @Test
  void showsTheInputWithACaretUnderTheColumn() {
    assertThatThrownBy(() -> Constraint.parse("(&(fedgrid.inf.mem.gib>=4)"))
        .hasMessage("invalid constraint: expected ')' at column 27\n"
            + "  (&(fedgrid.inf.mem.gib>=4)\n"
            + "                            ^");
  }

  @Test
  void showsAWindowOfLongInputs() {
    String text = "(&" + "(a=1)".repeat(30) + "(b=2" + "(c=3)".repeat(30) + ")";
    assertThatThrownBy(() -> Constraint.parse(text))
        .hasMessageContaining("unescaped '(' in a value")
        .satisfies(e -> {
          String[] lines = e.getMessage().split("\n");
          assertThat(lines[1]).startsWith("  …").endsWith("…").hasSizeLessThan(90);
          int caret = lines[2].indexOf('^');
          assertThat(lines[1].charAt(caret)).isEqualTo('(');
        });
  }

  @Test
  void refusesTooLongInput() {
    String text = "(a=" + "x".repeat(Constraint.MAX_LENGTH) + ")";
    assertThatThrownBy(() -> Constraint.parse(text))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessage("constraint is 8196 characters long; the limit is 8192: split it or simplify it");
  }

  @Test
  void refusesDeepNestingButAcceptsTheLimit() {
    String ok = "(!".repeat(Constraint.MAX_DEPTH - 1) + "(a=1)" + ")".repeat(Constraint.MAX_DEPTH - 1);
    assertThat(Constraint.parse(ok).toString()).isEqualTo(ok);
    String deep = "(!".repeat(Constraint.MAX_DEPTH) + "(a=1)" + ")".repeat(Constraint.MAX_DEPTH);
    assertThatThrownBy(() -> Constraint.parse(deep))
        .hasMessageStartingWith("invalid constraint: constraint nests deeper than 32 levels at column 65\n");
  }

  @Test
  void refusesNull() {
    assertThatThrownBy(() -> Constraint.parse(null)).hasMessage("missing constraint");
  }
}
