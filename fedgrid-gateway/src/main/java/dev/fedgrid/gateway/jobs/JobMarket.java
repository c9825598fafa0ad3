package dev.fedgrid.gateway.jobs;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.job.RoundSummary;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What the coordinator asks of the compute market, and all it knows of it: which nodes may work for
 * a job, and where a round's and a job's usage is billed. The gateway's {@code Market} implements
 * it; a coordinator without a market uses {@link #NONE}, under which every job is free.
 *
 * <p>Implementations are thread-safe. {@link #meter} runs inside the database transaction that
 * records the round, so a round and what it costs commit together or not at all.
 */
public interface JobMarket {
  /** No market: no job is gated or billed. */
  JobMarket NONE = new JobMarket() {
    @Override
    public Optional<Set<NodeId>> approvedNodes(JobId job) {
      return Optional.empty();
    }

    @Override
    public List<Notice> meter(RoundSummary round) {
      return List.of();
    }

    @Override
    public List<Notice> jobEnded(JobId job, String how) {
      return List.of();
    }
  };

  /**
   * The nodes with an approved agreement for {@code job}; empty when the job is not a market job
   * (it was not declared one at submission and has no demand), so that every node holding its
   * datasets is eligible.
   */
  Optional<Set<NodeId>> approvedNodes(JobId job);

  /**
   * Bills a completed round of a market job from its {@link RoundSummary#contributions()}; a
   * no-op for other jobs. Runs inside the transaction that records the round; refusals of the
   * market's rules come back as notices, not exceptions.
   *
   * @return what the job's event log should say
   */
  List<Notice> meter(RoundSummary round);

  /**
   * Closes the billing of a job that ended (completed, failed or cancelled, not paused for a
   * shutdown): its agreements end and each gets its invoice.
   *
   * @param how how it ended, for the agreements' termination reason
   * @return what the job's event log should say
   */
  List<Notice> jobEnded(JobId job, String how);

  /**
   * A line for the job's event log.
   *
   * @param type the event type: {@code debit_notes}, {@code soft_cap}, {@code hard_cap}, {@code
   *     billing_refused}, {@code debit_note_overdue} or {@code invoices}
   */
  record Notice(String type, String message) {}
}
