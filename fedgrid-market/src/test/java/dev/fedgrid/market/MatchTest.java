package dev.fedgrid.market;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MatchTest {
  static final Properties NODE = Properties.builder()
      .put("fedgrid.inf.mem.gib", 8)
      .put("fedgrid.inf.cpu.cores", 3.5)
      .put("fedgrid.inf.gpu", false)
      .put("fedgrid.runtime", "djl-0.35")
      .put("fedgrid.dataset.tags", List.of("oncology", "imaging"))
      .build();

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = ';', textBlock = """
      (fedgrid.inf.mem.gib>=4) ; true
      (fedgrid.inf.mem.gib>8) ; false
      (fedgrid.inf.mem.gib=8.0) ; true
      (fedgrid.inf.mem.gib<=8) ; true
      (fedgrid.inf.mem.gib<8) ; false
      (fedgrid.inf.mem.gib=eight) ; false
      (fedgrid.inf.mem.gib=8*) ; false
      (fedgrid.inf.cpu.cores>3.49) ; true
      (fedgrid.inf.cpu.cores<3.5e0) ; false
      (fedgrid.inf.gpu=false) ; true
      (fedgrid.inf.gpu=true) ; false
      (fedgrid.inf.gpu=FALSE) ; false
      (fedgrid.inf.gpu>0) ; false
      (fedgrid.runtime=djl*) ; true
      (fedgrid.runtime=*0.35) ; true
      (fedgrid.runtime=*l-0*) ; true
      (fedgrid.runtime=onnx*) ; false
      (fedgrid.runtime=djl) ; false
      (fedgrid.runtime=djl-0.35) ; true
      (fedgrid.runtime>1) ; false
      (fedgrid.dataset.tags=oncology) ; true
      (fedgrid.dataset.tags=cardiology) ; false
      (fedgrid.dataset.tags=imag*) ; true
      (fedgrid.dataset.tags=*logy) ; true
      (fedgrid.dataset.tags>1) ; false
      (fedgrid.inf.mem.gib=*) ; true
      (fedgrid.dataset.tags=*) ; true
      (fedgrid.unknown=*) ; false
      (fedgrid.unknown=1) ; false
      (fedgrid.unknown<1) ; false
      (!(fedgrid.unknown=1)) ; true
      (&(fedgrid.unknown=*)(!(fedgrid.unknown=1))) ; false
      (!(fedgrid.inf.gpu=true)) ; true
      (&) ; true
      (|) ; false
      (&(fedgrid.inf.mem.gib>=4)(fedgrid.dataset.tags=oncology)) ; true
      (&(fedgrid.inf.mem.gib>=4)(fedgrid.dataset.tags=cardiology)) ; false
      (|(fedgrid.inf.gpu=true)(fedgrid.runtime=djl*)) ; true
      (|(fedgrid.inf.gpu=true)(fedgrid.unknown=*)) ; false
      """)
  void truthTable(String constraint, boolean expected) {
    assertThat(Constraint.parse(constraint).test(NODE)).isEqualTo(expected);
  }

  static Offer offer(String constraints, PriceModel pricing) {
    return new Offer("node_1", NODE, Constraint.parse(constraints), pricing);
  }

  static Demand demand(String constraints, PriceModel max, Money budget, Usage expected) {
    Properties job = Properties.builder().put("fedgrid.job.owner", "alice").put("fedgrid.job.dp", true).build();
    return new Demand("job_1", job, Constraint.parse(constraints), max, budget, expected);
  }

  static final PriceModel PRICE = PriceModel.fixed(Money.of("1")).with(UsageCounter.EXAMPLES_EPOCHS, Money.of("0.001"));
  static final Usage USAGE = Usage.NONE.with(UsageCounter.EXAMPLES_EPOCHS, 10_000);

  @Test
  void matchesWhenBothSidesConstraintsHoldAndThePriceFits() {
    Match m = Match.of(offer("(fedgrid.job.dp=true)", PRICE), demand("(fedgrid.inf.mem.gib>=4)", PRICE, Money.of(11), USAGE));
    assertThat(m).isEqualTo(new Match.Matched(Money.of(11)));
  }

  @Test
  void eachSideCanRefuse() {
    Match offerRefuses = Match.of(offer("(fedgrid.job.owner=bob)", PRICE), demand("(&)", PRICE, Money.of(100), USAGE));
    assertThat(offerRefuses).isEqualTo(new Match.Mismatch(List.of(
        "the demand's properties do not meet the offer's constraints (fedgrid.job.owner=bob)")));
    Match demandRefuses = Match.of(offer("(&)", PRICE), demand("(fedgrid.inf.gpu=true)", PRICE, Money.of(100), USAGE));
    assertThat(demandRefuses).isEqualTo(new Match.Mismatch(List.of(
        "the offer's properties do not meet the demand's constraints (fedgrid.inf.gpu=true)")));
  }

  @Test
  void comparesMaxPriceCoefficientByCoefficientAndTheBudgetAgainstTheEstimate() {
    PriceModel max = PriceModel.fixed(Money.of("0.5")).with(UsageCounter.EXAMPLES_EPOCHS, Money.of("0.01"));
    PriceModel dear = PRICE.with(UsageCounter.BYTES, Money.of("0.000000001"));
    Match m = Match.of(offer("(&)", dear), demand("(&)", max, Money.of(10), USAGE));
    assertThat(m).isEqualTo(new Match.Mismatch(List.of(
        "fixed price 1 exceeds the maximum 0.5",
        "price per fedgrid.usage.bytes 0.000000001 exceeds the maximum 0",
        "the estimated price 11 exceeds the budget 10")));
  }
}
