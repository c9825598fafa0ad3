package dev.fedgrid.market;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.InvalidRequestException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ActivityLogTemplateTest {
  @Test
  void rendersNumbersIntoTheTemplate() {
    assertThat(ActivityLogTemplate.FIT_DONE.render(List.of(455.0, 2.0, 31.0))).isEqualTo("fit 455 examples for 2 epoch(s) in 31 ms");
    assertThat(ActivityLogTemplate.METRIC_LOSS.render(List.of(0.123456789))).isEqualTo("loss 0.123457");
    assertThat(ActivityLogTemplate.TERMINATED.render(List.of())).isEqualTo("terminated");
  }

  @Test
  void refusesUnknownTemplatesWrongCountsAndNonFiniteNumbers() {
    assertThatThrownBy(() -> ActivityLogTemplate.of(ActivityLogTemplate.values().length)).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> ActivityLogTemplate.of(-1)).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> ActivityLogTemplate.STARTED.render(List.of(1.0))).hasMessageContaining("takes 2 number(s), got 1");
    assertThatThrownBy(() -> ActivityLogTemplate.METRIC_LOSS.render(List.of(Double.NaN))).hasMessageContaining("NaN");
  }
}
