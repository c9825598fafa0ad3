package dev.fedgrid.market;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An amount a requestor reserves for a job, from which accepted payment documents are spent.
 *
 * <p>Thread-safe and lock-free: {@link #trySpend} is a compare-and-set loop on the amount spent, so
 * concurrent acceptances never spend more than the total together (each sees either the others'
 * spending or retries). Several agreements of one job share one allocation.
 */
public final class Allocation {
  private final String jobId;
  private final Money total;
  private final AtomicReference<Money> spent = new AtomicReference<>(Money.ZERO);

  /**
   * @param jobId the job it is reserved for, as its wire id
   * @param total the amount reserved
   */
  public Allocation(String jobId, Money total) {
    this.jobId = Offer.requireId(jobId, "jobId");
    this.total = Objects.requireNonNull(total, "total");
  }

  /**
   * An allocation of which {@code spent} is already spent, as restored from a store.
   *
   * @throws IllegalArgumentException when {@code spent} exceeds {@code total}
   */
  public Allocation(String jobId, Money total, Money spent) {
    this(jobId, total);
    if (spent.compareTo(total) > 0) throw new IllegalArgumentException("spent " + spent + " exceeds the total " + total);
    this.spent.set(spent);
  }

  public String jobId() {
    return jobId;
  }

  public Money total() {
    return total;
  }

  public Money spent() {
    return spent.get();
  }

  public Money remaining() {
    return total.minus(spent.get());
  }

  /** Spends {@code amount} if at least that much remains; returns whether it did. */
  public boolean trySpend(Money amount) {
    while (true) {
      Money before = spent.get();
      Money after = before.plus(amount);
      if (after.compareTo(total) > 0) return false;
      if (spent.compareAndSet(before, after)) return true;
    }
  }

  @Override
  public String toString() {
    return "allocation for " + jobId + ": " + spent() + " of " + total + " spent";
  }
}
