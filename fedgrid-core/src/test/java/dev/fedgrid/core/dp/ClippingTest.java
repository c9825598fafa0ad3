package dev.fedgrid.core.dp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.Scale;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class ClippingTest {
  @Test
  void scalesALongUpdateOntoTheBall() {
    float[] update = {3, 4};
    double scale = Clipping.clipToNorm(update, 1);
    assertThat(scale).isCloseTo(0.2, within(1e-6));
    assertThat(Clipping.l2Norm(update)).isLessThanOrEqualTo(1).isCloseTo(1, within(1e-6));
    assertThat(update[0] / update[1]).isCloseTo(0.75f, within(1e-6f));
  }

  @Test
  void leavesAShortUpdateAlone() {
    float[] update = {0.3f, -0.4f};
    assertThat(Clipping.clipToNorm(update, 1)).isEqualTo(1);
    assertThat(update).containsExactly(0.3f, -0.4f);
  }

  @Test
  void differenceIsLocalMinusGlobal() {
    assertThat(Clipping.difference(new float[] {1, 2, 3}, new float[] {0.5f, 2, 4})).containsExactly(0.5f, 0, -1);
    assertThatThrownBy(() -> Clipping.difference(new float[2], new float[3])).hasFieldOrPropertyWithValue("code", "SHAPE_MISMATCH");
  }

  @Test
  void rejectsNonFiniteUpdatesAndBadNorms() {
    float[] update = {1, Float.NaN};
    assertThatThrownBy(() -> Clipping.clipToNorm(update, 1)).hasFieldOrPropertyWithValue("code", "NON_FINITE_UPDATE");
    assertThat(update[0]).isEqualTo(1);
    assertThatThrownBy(() -> Clipping.clipToNorm(new float[1], 0)).hasFieldOrPropertyWithValue("code", "INVALID_CLIP_NORM");
  }

  /** The sensitivity bound the accountant relies on: after clipping, the norm never exceeds C, even by rounding. */
  @Property(tries = 200)
  void clippedNormNeverExceedsTheBound(
      @ForAll @Size(min = 1, max = 300) float[] values, @ForAll @DoubleRange(min = 1e-6, max = 1e6) @Scale(8) double clipNorm) {
    double before = Clipping.l2Norm(values);
    if (!Double.isFinite(before)) return;
    double scale = Clipping.clipToNorm(values, clipNorm);
    assertThat(Clipping.l2Norm(values)).isLessThanOrEqualTo(clipNorm);
    // the factor is exact to float precision unless it is subnormal (inputs near Float.MAX_VALUE)
    if (before > clipNorm && scale >= Float.MIN_NORMAL) assertThat(scale * before).isCloseTo(clipNorm, within(1e-6 * clipNorm));
  }

  @Property(tries = 100)
  void clippingIsIdempotent(@ForAll @Size(min = 1, max = 50) float @FloatRange(min = -100, max = 100) [] values) {
    Clipping.clipToNorm(values, 1);
    float[] once = values.clone();
    assertThat(Clipping.clipToNorm(values, 1)).isEqualTo(1);
    assertThat(values).containsExactly(once);
  }
}
