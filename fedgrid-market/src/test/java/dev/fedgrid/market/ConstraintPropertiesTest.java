package dev.fedgrid.market;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.market.Constraint.Operator;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class ConstraintPropertiesTest {
  @Property(tries = 500)
  void printedFormParsesBackToTheSameConstraint(@ForAll("constraints") Constraint c) {
    assertThat(Constraint.parse(c.toString())).isEqualTo(c);
  }

  @Property(tries = 2000)
  void randomInputEitherParsesOrFailsWithInvalidConstraint(@ForAll("noise") String text) {
    parsesOrFailsWithAPositionInTheInput(text);
  }

  @Property(tries = 1000)
  void anyUnicodeInputEitherParsesOrFailsWithInvalidConstraint(@ForAll String text) {
    parsesOrFailsWithAPositionInTheInput(text);
  }

  /** Valid filters broken in one to three places: characters deleted, inserted or replaced. */
  @Property(tries = 2000)
  void malformedFiltersFailWithAPositionInTheInput(@ForAll("constraints") Constraint c, @ForAll("edits") List<Edit> edits) {
    StringBuilder text = new StringBuilder(c.toString());
    for (Edit e : edits) {
      int at = text.isEmpty() ? 0 : Math.floorMod(e.position(), text.length() + 1);
      switch (e.kind()) {
        case 0 -> {
          if (at < text.length()) text.deleteCharAt(at);
        }
        case 1 -> text.insert(at, e.ch());
        default -> {
          if (at < text.length()) text.setCharAt(at, e.ch());
        }
      }
    }
    parsesOrFailsWithAPositionInTheInput(text.toString());
  }

  @Property(tries = 50)
  void nestingBeyondTheLimitIsASyntaxErrorNotAStackOverflow(@ForAll @net.jqwik.api.constraints.IntRange(min = 33, max = 2000) int depth) {
    String text = "(!".repeat(depth) + "(a=1)" + ")".repeat(depth);
    if (text.length() > Constraint.MAX_LENGTH) {
      assertThatThrownBy(() -> Constraint.parse(text))
          .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.details()).containsEntry("length", text.length()));
    } else {
      assertThatThrownBy(() -> Constraint.parse(text))
          .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
            assertThat(e.code()).isEqualTo("INVALID_CONSTRAINT");
            assertThat(e.getMessage()).contains("nests deeper than " + Constraint.MAX_DEPTH);
            assertThat((Integer) e.details().get("column")).isBetween(1, text.length());
          });
    }
  }

  /**
   * The parser's contract on any input: a constraint whose printed form parses back to it, or its
   * own syntax error, {@code INVALID_CONSTRAINT} with a 1-based column within the input (one past
   * its end for an input that ends too early); never another exception.
   */
  private static void parsesOrFailsWithAPositionInTheInput(String text) {
    try {
      Constraint c = Constraint.parse(text);
      assertThat(Constraint.parse(c.toString())).isEqualTo(c);
    } catch (InvalidRequestException e) {
      assertThat(e.code()).isEqualTo("INVALID_CONSTRAINT");
      assertThat(e.details()).containsKey("column");
      assertThat((Integer) e.details().get("column")).as("column of %s", e.getMessage()).isBetween(1, text.length() + 1);
      assertThat(e.getMessage()).contains("at column " + e.details().get("column"));
    }
  }

  /** One edit: 0 delete, 1 insert, 2 replace, at a position taken modulo the length. */
  record Edit(int kind, int position, char ch) {}

  @Provide
  Arbitrary<List<Edit>> edits() {
    Arbitrary<Character> ch = Arbitraries.oneOf(Arbitraries.chars().with("()&|!=<>*\\ \t\n.-e9".toCharArray()), Arbitraries.chars());
    return Combinators.combine(Arbitraries.integers().between(0, 2), Arbitraries.integers().between(0, 10_000), ch).as(Edit::new)
        .list().ofMinSize(1).ofMaxSize(3);
  }

  @Property(tries = 300)
  void evaluationNeverThrows(@ForAll("constraints") Constraint c) {
    Properties p = Properties.builder()
        .put("a", 1).put("b", "x(y)").put("c", true).put("d", List.of("p", "q*")).build();
    assertThatCode(() -> c.test(p)).doesNotThrowAnyException();
  }

  @Provide
  Arbitrary<String> noise() {
    return Arbitraries.strings().withChars("()&|!=<>*\\ ab.1-").ofMaxLength(40);
  }

  @Provide
  Arbitrary<Constraint> constraints() {
    return constraint(4);
  }

  private Arbitrary<Constraint> constraint(int depth) {
    if (depth == 0) return leaf();
    Arbitrary<Constraint> sub = Arbitraries.lazy(() -> constraint(depth - 1));
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(4, leaf()),
        net.jqwik.api.Tuple.of(1, sub.list().ofMaxSize(3).map(Constraint.All::new)),
        net.jqwik.api.Tuple.of(1, sub.list().ofMaxSize(3).map(Constraint.Any::new)),
        net.jqwik.api.Tuple.of(1, sub.map(Constraint.Not::new)));
  }

  private Arbitrary<Constraint> leaf() {
    Arbitrary<String> key = Arbitraries.strings().withCharRange('a', 'z').withChars('_', '1').ofMinLength(1).ofMaxLength(6)
        .filter(s -> Character.isLetter(s.charAt(0)))
        .list().ofMinSize(1).ofMaxSize(3).map(parts -> String.join(".", parts));
    Arbitrary<String> text = Arbitraries.strings().withChars("abcXY 09()*\\.-é\t").ofMinLength(1).ofMaxLength(8)
        .filter(s -> !s.isEmpty() && s.strip().equals(s));
    Arbitrary<String> number = Arbitraries.of("0", "-1", "4", "2.5", "-0.125", "1e3", "7E-2");
    Arbitrary<Constraint> eq = Combinators.combine(key, text).as((k, v) -> new Constraint.Compare(k, Operator.EQ, v));
    Arbitrary<Constraint> ord = Combinators.combine(key, Arbitraries.of(Operator.values()), number).as(Constraint.Compare::new);
    Arbitrary<Constraint> present = key.map(Constraint.Present::new);
    Arbitrary<Constraint> wildcard = Combinators.combine(key, text, Arbitraries.integers().between(1, 3))
        .as((k, v, mode) -> new Constraint.Wildcard(k, v, (mode & 1) != 0, (mode & 2) != 0));
    return Arbitraries.oneOf(eq, ord, present, wildcard);
  }
}
