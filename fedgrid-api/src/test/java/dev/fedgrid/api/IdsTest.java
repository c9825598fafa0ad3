package dev.fedgrid.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class IdsTest {
  /** Monotonicity is per process, so each test works in a later block of time than any before it. */
  private static final AtomicLong BLOCK = new AtomicLong(4_000_000_000_000L);

  private static long freshMillis() {
    return BLOCK.addAndGet(10_000);
  }

  @Test
  void idsMadeInOneMillisecondSortInTheOrderTheyWereMade() {
    long now = freshMillis();
    List<String> made = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) made.add(Ids.next("job", now));
    assertThat(made).isSortedAccordingTo(String::compareTo).doesNotHaveDuplicates();
    made.forEach(id -> assertThat(Ids.check("job", id)).isEqualTo(id));
    // a later millisecond starts afresh and still sorts after
    assertThat(Ids.next("job", now + 1)).isGreaterThan(made.getLast());
  }

  @Test
  void anEarlierMillisecondIsNotClampedToTheLatest() {
    long now = freshMillis();
    String recent = Ids.next("job", now + 500);
    String past = Ids.next("job", now);
    assertThat(past).isLessThan(recent); // its time part is its own
    assertThat(Ids.next("job", now + 500)).isGreaterThan(recent); // the counter continues
  }

  @Test
  void theRandomPartDiffersBetweenMilliseconds() {
    long now = freshMillis();
    String a = Ids.next("job", now).substring(14);
    String b = Ids.next("job", now + 1).substring(14);
    assertThat(a).isNotEqualTo(b);
  }
}
