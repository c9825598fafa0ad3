package dev.fedgrid.gateway.jobs;

import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.core.dp.CentralDp;
import java.util.Locale;

/**
 * What a job with differential privacy plans to spend and has spent, and how its events and
 * messages say so: the one place submission, scheduling and the round driver take epsilon from. The
 * numbers come from {@link CentralDp} (node-level, every eligible node in every round).
 *
 * @param settings the job's privacy settings
 * @param planned the epsilon of all the job's rounds, at the job's delta
 */
record JobPrivacy(DifferentialPrivacy settings, double planned) {

  /** The job's privacy, or {@code null} when it has no differential privacy. */
  static JobPrivacy of(JobSpec spec) {
    return spec.privacy() == null ? null : new JobPrivacy(spec.privacy(), CentralDp.epsilon(spec.privacy(), spec.rounds()));
  }

  /** The epsilon spent once {@code rounds} rounds have completed. */
  double spentAfter(int rounds) {
    return CentralDp.epsilon(settings, rounds);
  }

  /** "DP-FedAvg (σ 1.1, clip 1.0, δ 1e-05): ε 3.45 planned", for the queued event and message. */
  String plan() {
    return "DP-FedAvg (σ " + settings.noiseMultiplier() + ", " + (settings.adaptiveClipping() ? "adaptive clip from " : "clip ")
        + settings.clipNorm() + ", δ " + settings.delta() + "): ε " + format(planned) + " planned";
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
