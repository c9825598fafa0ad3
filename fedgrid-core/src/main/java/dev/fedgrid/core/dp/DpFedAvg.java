package dev.fedgrid.core.dp;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.strategy.FitOutcome;
import dev.fedgrid.api.strategy.RoundAggregation;
import dev.fedgrid.api.strategy.SecureInput;
import dev.fedgrid.api.strategy.SecureSum;
import dev.fedgrid.api.strategy.Strategy;
import dev.fedgrid.core.aggregate.WeightedSum;
import dev.fedgrid.core.strategy.RoundLedger;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Central DP-FedAvg (McMahan, Ramage, Talwar, Zhang 2018, "Learning Differentially Private
 * Recurrent Language Models", Algorithm 1, with the fixed-denominator estimator), optionally with
 * adaptive clipping (Andrew, Thakkar, McMahan, Ramaswamy 2021, Algorithm 1).
 *
 * <h2>Algorithm</h2>
 *
 * A round opened for {@code m} expected updates (the nodes asked to train, or {@code q N} when each
 * of {@code N} eligible nodes was sampled with probability {@code q}) with clip norm {@code C}:
 *
 * <pre>
 *   for each successful update w_i:   Delta_i = clip(w_i - w, C)             (Clipping, flat L2 clipping)
 *                                     b_i     = [ ||w_i - w|| &lt;= C ]          (adaptive clipping only)
 *   finish:                           w'      = w + ( sum_i Delta_i + N(0, (z_Delta C)^2 I) ) / m
 *                                     C'      = AdaptiveClip.update(n, sum_i b_i)   (adaptive clipping only)
 * </pre>
 *
 * The sum is unweighted: weighting by examples would let a node claiming many examples exceed the
 * sensitivity {@code C}. Dividing by the expected {@code m} rather than the {@code n} updates that
 * arrived keeps the sensitivity of the released mean at {@code C / m} whoever drops out. With fixed
 * clipping {@code z_Delta = z}; with adaptive clipping the count of unclipped updates gets noise
 * {@code sigma_b = m / 20} and the updates {@code z_Delta = AdaptiveClip.updateNoiseMultiplier(z,
 * sigma_b)}, so that the round costs what noise multiplier {@code z} alone would. Either way a round
 * is one step of the Gaussian mechanism with noise multiplier {@code z}, accounted by {@link
 * CentralDp#epsilon}.
 *
 * <p>Every outcome passes the {@link RoundLedger} checks all strategies share (layout, finite values,
 * one report per node) before it touches the sum, so a refused update changes nothing. The clipped
 * differences are averaged with weight 1 in a {@link WeightedSum} (one model-sized accumulator
 * whatever the number of nodes) and multiplied back by their count. The clip norm is the only state
 * across rounds; it is kept at float precision, so {@link #state()} holds it exactly and a restored
 * strategy continues with the same clip norm. It changes only when a round finishes.
 *
 * <p>Cost per round: {@code O(n d)} for {@code n} updates of {@code d} parameters, {@code O(d)}
 * memory. Noise comes from a platform-seeded {@link java.security.SecureRandom}; only tests inject
 * a generator. Not thread-safe (see {@link Strategy}).
 */
final class DpFedAvg implements Strategy {
  static final String NAME = "fedavg";
  static final String CLIP_NORM_STATE = "clipNorm";

  private final ParameterLayout layout;
  private final DifferentialPrivacy privacy;
  private final RandomGenerator random; // null: SecureRandom
  private float clipNorm;

  DpFedAvg(DifferentialPrivacy privacy, ParameterLayout layout) {
    this(privacy, layout, null);
  }

  /** For tests: noise from {@code random} instead of SecureRandom. */
  DpFedAvg(DifferentialPrivacy privacy, ParameterLayout layout, RandomGenerator random) {
    this.privacy = Objects.requireNonNull(privacy, "privacy");
    this.layout = Objects.requireNonNull(layout, "layout");
    this.random = random;
    this.clipNorm = initialClip();
  }

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Refused: DP-FedAvg divides by the expected number of updates, which this overload lacks.
   *
   * @throws IllegalStateException always; call {@link #openRound(int, Parameters, double)}
   */
  @Override
  public RoundAggregation openRound(int round, Parameters global) {
    throw new IllegalStateException("DP-FedAvg divides by the number of updates a round expects; open round " + round + " with openRound(round, global, expectedUpdates)");
  }

  /**
   * @param expectedUpdates {@code m}: the nodes given a fit task, or {@code q N} with Poisson
   *     sampling at rate {@code q} from {@code N} eligible nodes (McMahan et al. 2018's fixed
   *     denominator {@code qW})
   * @throws InvalidRequestException with code {@code INVALID_EXPECTED_UPDATES} when {@code
   *     expectedUpdates} is not finite and greater than 0, {@code INVALID_ADAPTIVE_CLIP} when adaptive clipping's count noise
   *     {@code expectedUpdates / 20} does not exceed half the noise multiplier, or as {@link
   *     RoundLedger} for bad global parameters
   */
  @Override
  public RoundAggregation openRound(int round, Parameters global, double expectedUpdates) {
    if (!(expectedUpdates > 0) || !Double.isFinite(expectedUpdates)) {
      throw new InvalidRequestException(
          "INVALID_EXPECTED_UPDATES", "round " + round + " of DP-FedAvg must expect more than 0 updates, got " + expectedUpdates);
    }
    return new Round(new RoundLedger(NAME, layout, round, global), global, expectedUpdates);
  }

  /**
   * With fixed clipping, the unweighted sum of the differences each node clipped to {@code C}: the
   * same sum {@link Round#accept} builds from individual updates, so noise, denominator and the
   * accounting ({@link CentralDp#epsilon}) are unchanged. Adaptive clipping needs each update's norm
   * and so cannot run on a secure sum.
   */
  @Override
  public Optional<SecureInput> secureInput() {
    return privacy.adaptiveClipping() ? Optional.empty() : Optional.of(new SecureInput.ClippedSum(clipNorm));
  }

  /** The clip norm of the next round. */
  double clipNorm() {
    return clipNorm;
  }

  /** {@code {"clipNorm": [C]}} with adaptive clipping; empty with fixed clipping. */
  @Override
  public Map<String, float[]> state() {
    return privacy.adaptiveClipping() ? Map.of(CLIP_NORM_STATE, new float[] {clipNorm}) : Map.of();
  }

  /**
   * Restores what {@link #state()} exported; an empty map restores the initial clip norm.
   *
   * @throws InvalidRequestException with code {@code INVALID_STRATEGY_STATE} when the state does not
   *     fit this strategy; the state is then unchanged
   */
  @Override
  public void restore(Map<String, float[]> state) {
    if (state.isEmpty()) {
      clipNorm = initialClip();
      return;
    }
    float[] saved = state.get(CLIP_NORM_STATE);
    if (!privacy.adaptiveClipping() || state.size() != 1 || saved == null || saved.length != 1 || !(saved[0] > 0) || !Float.isFinite(saved[0])) {
      throw new InvalidRequestException(
          "INVALID_STRATEGY_STATE",
          "DP-FedAvg with " + (privacy.adaptiveClipping() ? "adaptive clipping keeps {clipNorm: [C > 0]}" : "fixed clipping keeps no state")
              + " but the checkpoint holds " + state.keySet() + "; restore the checkpoint this job wrote, or start the job afresh");
    }
    clipNorm = saved[0];
  }

  private float initialClip() {
    return privacy.clipNorm().floatValue();
  }

  private GaussianNoise noise(double noiseMultiplier, double clip) {
    return random == null ? new GaussianNoise(noiseMultiplier, clip) : new GaussianNoise(noiseMultiplier, clip, random);
  }

  /** One round: clipped differences streamed into an unweighted mean. */
  private final class Round implements RoundAggregation {
    private final RoundLedger ledger;
    private final Parameters global;
    private final double expected;
    private final double clip;
    private final double updateNoiseMultiplier;
    private final AdaptiveClip adaptive; // null with fixed clipping
    private final WeightedSum sum;
    private int withinClip;
    private SecureSum secure;
    private Parameters result;

    Round(RoundLedger ledger, Parameters global, double expected) {
      this.ledger = ledger;
      this.global = global;
      this.expected = expected;
      this.clip = clipNorm;
      this.sum = new WeightedSum(layout.size());
      if (privacy.adaptiveClipping()) {
        double countNoise = expected / 20.0; // Andrew et al. 2021's default: expected nodes per round / 20
        this.updateNoiseMultiplier = AdaptiveClip.updateNoiseMultiplier(privacy.noiseMultiplier(), countNoise);
        this.adaptive = new AdaptiveClip(clip, privacy.targetQuantile(), privacy.clipLearningRate(), expected, noise(countNoise, 1));
      } else {
        this.updateNoiseMultiplier = privacy.noiseMultiplier();
        this.adaptive = null;
      }
    }

    @Override
    public void accept(FitOutcome outcome) {
      ledger.check(outcome);
      if (secure != null && outcome instanceof FitOutcome.Success) throw RoundLedger.secureSumTaken(ledger);
      if (outcome instanceof FitOutcome.Success s) {
        float[] delta = Clipping.difference(s.parameters().values(), global.values());
        boolean unclipped = Clipping.clipToNorm(delta, clip) == 1; // 1 exactly when ||delta|| <= C
        sum.add(delta, 1);
        if (unclipped) withinClip++;
      }
      ledger.record(outcome);
    }

    /**
     * Takes the sum of the clipped differences from secure aggregation: every contributor weighs 1,
     * so {@code meanDifference x contributors} is {@code sum_i Delta_i} and {@link #finish} goes on
     * exactly as with individual updates.
     *
     * @throws InvalidRequestException with code {@code SECURE_AGGREGATION_UNSUPPORTED} with adaptive
     *     clipping, or {@code INVALID_SECURE_SUM} when a contributor weighed more than 1
     */
    @Override
    public void acceptSecureSum(SecureSum secureSum) {
      if (adaptive != null) {
        throw new InvalidRequestException("SECURE_AGGREGATION_UNSUPPORTED", "DP-FedAvg with adaptive clipping needs each update's norm and cannot aggregate a secure sum");
      }
      RoundLedger.checkSecureSum(ledger, layout, secureSum, sum.count() > 0 || secure != null);
      if (secureSum.totalWeight() != secureSum.contributors()) {
        throw new InvalidRequestException(
            "INVALID_SECURE_SUM",
            "DP-FedAvg sums clipped differences unweighted, but the secure sum's " + secureSum.contributors() + " contributors weigh " + secureSum.totalWeight());
      }
      secure = secureSum;
    }

    @Override
    public int successes() {
      return secure != null ? secure.contributors() : sum.count();
    }

    @Override
    public int failures() {
      return ledger.failures();
    }

    @Override
    public Parameters finish() {
      if (result != null) return result;
      int n = successes();
      if (n == 0) throw ledger.noUpdates();
      float[] total = secure != null ? secure.meanDifference().clone() : sum.mean();
      for (int i = 0; i < total.length; i++) total[i] *= n;
      noise(updateNoiseMultiplier, clip).addTo(total);
      float[] g = global.values();
      float[] next = new float[g.length];
      for (int i = 0; i < next.length; i++) next[i] = (float) (g[i] + (double) total[i] / expected);
      RoundLedger.requireFiniteResult(next);
      if (adaptive != null) clipNorm = (float) Math.clamp(adaptive.update(n, withinClip), Float.MIN_NORMAL, Float.MAX_VALUE);
      result = new Parameters(layout, next);
      ledger.finish();
      return result;
    }
  }
}
