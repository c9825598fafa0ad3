package dev.fedgrid.gateway.jobs;

import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.privacy.PrivacyMode;
import dev.fedgrid.core.dp.DpAccounting;
import java.util.Locale;

/**
 * What a job with differential privacy plans to spend and has spent, and how its events and
 * messages say so: the one place submission, scheduling and the round driver take epsilon from. The
 * numbers come from {@link DpAccounting#epsilon(JobSpec, long)}, which the privacy budgets use too:
 * node-level, with the job's sampling rate for central DP and without amplification for local DP.
 *
 * @param spec the job's spec, with its privacy settings and sampling rate
 * @param planned the epsilon of all the job's rounds, at the job's delta
 */
record JobPrivacy(JobSpec spec, double planned) {

  /** The job's privacy, or {@code null} when it has no differential privacy. */
  static JobPrivacy of(JobSpec spec) {
    return spec.privacy() == null ? null : new JobPrivacy(spec, DpAccounting.epsilon(spec, spec.rounds()));
  }

  DifferentialPrivacy settings() {
    return spec.privacy();
  }

  /** The epsilon spent once {@code rounds} rounds have completed. */
  double spentAfter(int rounds) {
    return DpAccounting.epsilon(spec, rounds);
  }

  /**
   * "DP-FedAvg (σ 1.1, clip 1.0, δ 1e-05): ε 3.45 planned", with ", q 0.5" when nodes are sampled,
   * or "local DP on nodes (σ 4.0, clip 1.0, δ 1e-05): ε 9.87 planned per node", for the queued event
   * and message.
   */
  String plan() {
    DifferentialPrivacy p = settings();
    boolean local = p.mode() == PrivacyMode.LOCAL;
    return (local ? "local DP on nodes (σ " : "DP-FedAvg (σ ") + p.noiseMultiplier() + ", " + (p.adaptiveClipping() ? "adaptive clip from " : "clip ")
        + p.clipNorm() + ", δ " + p.delta() + (!local && spec.sampleFraction() < 1 ? ", q " + spec.sampleFraction() : "") + "): ε "
        + format(planned) + " planned" + (local ? " per node" : "");
  }

  /** "ε 1.23 of 3.45 planned", for a completed round. */
  String progress(double spent) {
    return "ε " + format(spent) + " of " + format(planned) + " planned";
  }

  /** Two decimals, or two significant digits below 0.01. */
  static String format(double epsilon) {
    return String.format(Locale.ROOT, epsilon >= 0.01 || epsilon == 0 ? "%.2f" : "%.2g", epsilon);
  }
}
