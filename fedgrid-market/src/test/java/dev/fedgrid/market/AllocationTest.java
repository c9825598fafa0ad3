package dev.fedgrid.market;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.ConflictException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AllocationTest {
  @Test
  void concurrentSpendingNeverOverspends() throws Exception {
    Allocation allocation = new Allocation("job_1", Money.of(500));
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Boolean>> results = new ArrayList<>();
    try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 1000; i++) {
        results.add(executor.submit(() -> {
          start.await();
          return allocation.trySpend(Money.of(1));
        }));
      }
      start.countDown();
    }
    int succeeded = 0;
    for (Future<Boolean> f : results) if (f.get()) succeeded++;
    assertThat(succeeded).isEqualTo(500);
    assertThat(allocation.remaining()).isEqualTo(Money.ZERO);
  }

  @Test
  void concurrentAcceptancesAcrossAgreementsOfOneJobNeverOverspend() throws Exception {
    TestClock clock = new TestClock();
    Allocation allocation = new Allocation("job_1", Money.of(500));
    PaymentCaps caps = new PaymentCaps(Money.of(1), Money.of(1));
    List<AgreementPayments> agreements = new ArrayList<>();
    List<DocumentId> notes = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      var p = new AgreementPayments(AgreementId.random(), allocation, caps, clock);
      agreements.add(p);
      notes.add(p.issueDebitNote(Money.of(1), Duration.ofHours(1)).note().id());
    }
    CountDownLatch start = new CountDownLatch(1);
    AtomicInteger accepted = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 1000; i++) {
        int k = i;
        executor.submit(() -> {
          start.await();
          try {
            agreements.get(k).accept(notes.get(k), Party.REQUESTOR);
            accepted.incrementAndGet();
          } catch (ConflictException e) {
            if (e.code().equals("ALLOCATION_EXCEEDED")) refused.incrementAndGet();
          }
          return null;
        });
      }
      start.countDown();
    }
    assertThat(accepted).hasValue(500);
    assertThat(refused).hasValue(500);
    assertThat(allocation.spent()).isEqualTo(Money.of(500));
    long acceptedDocs = agreements.stream().flatMap(p -> p.documents().stream())
        .filter(d -> d.status() == DocumentStatus.ACCEPTED).count();
    assertThat(acceptedDocs).isEqualTo(500);
  }
}
