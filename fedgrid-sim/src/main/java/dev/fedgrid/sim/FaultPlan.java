package dev.fedgrid.sim;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Seeded faults of a simulated population. Per round and node, independently: a drop-out (the node
 * goes silent for the round, and the fleet reports it offline) with probability {@code dropout}; a
 * straggler (its results arrive {@code stragglerDelaySeconds} later on the virtual clock) with
 * probability {@code straggler}. Byzantine nodes are fixed for the run: exactly {@code round(byzantine
 * x population)} of them, drawn from the seed, attack every update they send with {@code attack}.
 * Under secure aggregation a node may also die mid-protocol ({@link #withSecAggDropout}): after it
 * shared its keys and before it sends its masked input, so the round must recover its masking key.
 *
 * <p>Immutable and thread-safe.
 */
public final class FaultPlan {
  private final double dropout;
  private final double straggler;
  private final int stragglerDelaySeconds;
  private final double byzantineFraction;
  private final Attack attack;
  private final long seed;
  private final Set<Integer> byzantine;
  private final double secAggDropout;

  public FaultPlan(double dropout, double straggler, int stragglerDelaySeconds, double byzantineFraction, Attack attack, int population, long seed) {
    if (!(dropout >= 0 && dropout < 1) || !(straggler >= 0 && straggler <= 1) || !(byzantineFraction >= 0 && byzantineFraction < 1)) {
      throw new IllegalArgumentException("fault rates must be in [0, 1): dropout " + dropout + ", straggler " + straggler + ", byzantine " + byzantineFraction);
    }
    this.dropout = dropout;
    this.straggler = straggler;
    this.stragglerDelaySeconds = stragglerDelaySeconds;
    this.byzantineFraction = byzantineFraction;
    this.attack = attack;
    this.seed = seed;
    int count = (int) Math.round(byzantineFraction * population);
    var chosen = new HashSet<Integer>();
    var random = new SplittableRandom(Seeds.mix(seed, -1, -1));
    while (chosen.size() < count) chosen.add(random.nextInt(population));
    this.byzantine = Set.copyOf(chosen);
    this.secAggDropout = 0;
  }

  private FaultPlan(FaultPlan base, double secAggDropout) {
    this.dropout = base.dropout;
    this.straggler = base.straggler;
    this.stragglerDelaySeconds = base.stragglerDelaySeconds;
    this.byzantineFraction = base.byzantineFraction;
    this.attack = base.attack;
    this.seed = base.seed;
    this.byzantine = base.byzantine;
    this.secAggDropout = secAggDropout;
  }

  /**
   * This plan where, under secure aggregation, each node of each round independently dies with
   * probability {@code p} after sharing its keys (SecAgg+ stage 2) and before sending its masked
   * input; the fleet then reports it offline for the rest of the round.
   */
  public FaultPlan withSecAggDropout(double p) {
    if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("the SecAgg+ drop-out rate must be in [0, 1), got " + p);
    return new FaultPlan(this, p);
  }

  /** Whether node {@code node} dies after sharing its SecAgg+ keys in round {@code round}. */
  public boolean dropsAfterSharingKeys(int round, int node) {
    return secAggDropout > 0 && Seeds.uniform(seed ^ 0x6L, round, node) < secAggDropout;
  }

  /** No faults. */
  public static FaultPlan none() {
    return new FaultPlan(0, 0, 0, 0, new Attack(Attack.Kind.SIGN_FLIP, 1), 1, 0);
  }

  public boolean dropsOut(int round, int node) {
    return dropout > 0 && Seeds.uniform(seed ^ 0x1L, round, node) < dropout;
  }

  /** Seconds of virtual delay of the node's results in the round, 0 when it is not a straggler. */
  public int delaySeconds(int round, int node) {
    return straggler > 0 && Seeds.uniform(seed ^ 0x2L, round, node) < straggler ? stragglerDelaySeconds : 0;
  }

  public boolean byzantine(int node) {
    return byzantine.contains(node);
  }

  public int byzantineCount() {
    return byzantine.size();
  }

  public Attack attack() {
    return attack;
  }

  /** The attacked update a Byzantine node sends, as a new array. */
  public float[] attack(int round, int node, float[] local, float[] global) {
    float[] sent = new float[local.length];
    var noise = new SplittableRandom(Seeds.mix(seed ^ 0x3L, round, node));
    for (int i = 0; i < sent.length; i++) {
      float u = local[i] - global[i];
      sent[i] = switch (attack.kind()) {
        case SIGN_FLIP -> global[i] - u;
        case SCALE -> (float) (global[i] + attack.magnitude() * u);
        case NOISE -> (float) (local[i] + attack.magnitude() * gaussian(noise));
      };
    }
    return sent;
  }

  private static double gaussian(SplittableRandom r) {
    double u1 = 1 - r.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  @Override
  public String toString() {
    return "drop-out " + dropout + ", stragglers " + straggler + " (+" + stragglerDelaySeconds + " s), Byzantine " + byzantine.size() + " node(s) ("
        + byzantineFraction + ", " + attack + ")" + (secAggDropout > 0 ? ", SecAgg+ drop-out after sharing keys " + secAggDropout : "");
  }
}
