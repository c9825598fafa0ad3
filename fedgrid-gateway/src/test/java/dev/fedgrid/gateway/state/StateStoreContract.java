package dev.fedgrid.gateway.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.Ids;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.Visibility;
import dev.fedgrid.api.job.Job;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.api.job.JobState;
import dev.fedgrid.api.job.NodeFailure;
import dev.fedgrid.api.job.RoundSummary;
import dev.fedgrid.api.model.Loss;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TensorSpec;
import dev.fedgrid.api.strategy.StrategyConfig;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The behaviour every {@link StateStore} must have. A backend's test extends this class and says
 * how to open a store kept in a directory.
 */
public abstract class StateStoreContract {
  /** A timestamp with nanoseconds, so that lossy timestamp storage shows. */
  protected static final Instant T0 = Instant.parse("2026-11-03T12:04:31.123456789Z");

  @TempDir protected Path dir;
  protected StateStore store;

  /**
   * Opens the store kept in {@code dir}. A durable backend opened twice on the same directory
   * (after closing the first) must show the same data.
   */
  protected abstract StateStore open(Path dir);

  /** Whether data survives {@link StateStore#close()} and {@link #open(Path)} again. */
  protected boolean durable() {
    return true;
  }

  @BeforeEach
  void openStore() {
    store = open(dir);
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  /** Closes the store and opens it again from the same directory. */
  protected void reopen() {
    store.close();
    store = open(dir);
  }

  // ---- nodes ----

  @Test
  void storesAndReplacesNodes() {
    NodeRecord a = node("alpha", T0);
    NodeRecord b = node("beta", T0.plusSeconds(1));
    store.putNode(b);
    store.putNode(a);

    assertSameNode(store.node(a.id()).orElseThrow(), a);
    assertThat(store.nodes()).extracting(NodeRecord::name).containsExactly("alpha", "beta"); // oldest first
    assertThat(store.node(NodeId.random())).isEmpty();

    var replaced = new NodeRecord(a.id(), "alpha-2", 16, 65_536, "0.2.0", new byte[] {9, 9}, a.registeredAt(), T0.plusSeconds(60));
    store.putNode(replaced);
    assertSameNode(store.node(a.id()).orElseThrow(), replaced);
    assertThat(store.nodes()).hasSize(2);
  }

  @Test
  void touchMovesLastSeenForwardOnly() {
    NodeRecord a = node("alpha", T0);
    store.putNode(a);

    store.touchNode(a.id(), T0.plusMillis(1500));
    assertThat(store.node(a.id()).orElseThrow().lastSeenAt()).isEqualTo(T0.plusMillis(1500));
    store.touchNode(a.id(), T0.plusMillis(500)); // a late, older heartbeat
    assertThat(store.node(a.id()).orElseThrow().lastSeenAt()).isEqualTo(T0.plusMillis(1500));
    assertThat(store.node(a.id()).orElseThrow().registeredAt()).isEqualTo(T0);

    store.touchNode(NodeId.random(), T0); // unknown: no-op
    assertThat(store.nodes()).hasSize(1);
  }

  // ---- datasets ----

  @Test
  void reRegisteringADatasetKeepsItsIdAndUpdatesItsMetadata() {
    NodeRecord n = putNode("alpha");
    DatasetInfo first = store.putDataset(n.id(), metadata("cancer", 100), T0);
    assertThat(first.nodeId()).isEqualTo(n.id());
    assertThat(first.registeredAt()).isEqualTo(T0);

    DatasetInfo second = store.putDataset(n.id(), metadata("cancer", 250), T0.plusSeconds(30));
    assertThat(second.id()).isEqualTo(first.id());
    assertThat(second.metadata().trainRows()).isEqualTo(250);

    DatasetInfo stored = store.dataset(first.id()).orElseThrow();
    assertThat(stored.metadata()).isEqualTo(metadata("cancer", 250));
    assertThat(stored.registeredAt()).isEqualTo(T0);
    assertThat(store.datasets(Optional.empty())).containsExactly(stored);
    assertThat(store.dataset(DatasetId.random())).isEmpty();
  }

  @Test
  void catalogueFiltersByNameAndNode() {
    NodeRecord a = putNode("alpha");
    NodeRecord b = putNode("beta");
    DatasetInfo aCancer = store.putDataset(a.id(), metadata("cancer", 100), T0);
    DatasetInfo bCancer = store.putDataset(b.id(), metadata("cancer", 200), T0.plusSeconds(1));
    DatasetInfo aDigits = store.putDataset(a.id(), metadata("digits", 300), T0.plusSeconds(2));

    assertThat(aCancer.id()).isNotEqualTo(bCancer.id());
    assertThat(store.datasets(Optional.empty())).containsExactly(aCancer, bCancer, aDigits);
    assertThat(store.datasets(Optional.of("cancer"))).containsExactly(aCancer, bCancer);
    assertThat(store.datasets(Optional.of("digits"))).containsExactly(aDigits);
    assertThat(store.datasets(Optional.of("nothing"))).isEmpty();
    assertThat(store.datasetsOf(a.id())).containsExactly(aCancer, aDigits);
    assertThat(store.datasetsOf(b.id())).containsExactly(bCancer);
    assertThat(store.datasetsOf(NodeId.random())).isEmpty();
  }

  @Test
  void datasetOfAnUnknownNodeIsRefused() {
    assertThatThrownBy(() -> store.putDataset(NodeId.random(), metadata("cancer", 100), T0))
        .isInstanceOf(NotFoundException.class)
        .extracting(e -> ((FedGridException) e).code())
        .isEqualTo("NODE_NOT_FOUND");
    assertThat(store.datasets(Optional.empty())).isEmpty();
  }

  // ---- jobs ----

  @Test
  void jobRoundTripsExactly() {
    Job job = job(1, JobState.QUEUED);
    store.insertJob(job);
    assertThat(store.job(job.id())).contains(job);

    Job running = new Job(job.id(), job.spec(), JobState.RUNNING, 3, "waiting for 1 more node", job.createdAt(), T0.plusNanos(7), null,
        Map.of("accuracy", 0.875, "loss", 1e-300, "diverged", Double.NaN), job.owner());
    store.updateJob(running);
    Job stored = store.job(job.id()).orElseThrow();
    assertThat(stored.metrics().get("diverged")).isNaN();
    assertThat(stored).isEqualTo(running); // Double.equals treats NaN as equal to itself
    assertThat(store.job(JobId.random())).isEmpty();
  }

  @Test
  void jobsCanBeListedByOwner() {
    Job anas = job(1, JobState.QUEUED);
    store.insertJob(anas);
    Job bos = new Job(JobId.random(), spec("bo job"), JobState.QUEUED, 0, "", T0, null, null, Map.of(), "bo");
    store.insertJob(bos);
    assertThat(store.jobs(List.of(), Optional.of("bo"), Optional.empty(), 10)).containsExactly(bos);
    assertThat(store.jobs(List.of(JobState.QUEUED), Optional.of("ana"), Optional.empty(), 10)).containsExactly(anas);
    assertThat(store.jobs(List.of(), Optional.of("cy"), Optional.empty(), 10)).isEmpty();
    assertThat(store.jobs(List.of(), Optional.empty(), 10)).hasSize(2);
  }

  @Test
  void duplicateJobIsRefused() {
    Job job = job(1, JobState.QUEUED);
    store.insertJob(job);
    Job other = new Job(job.id(), spec("other"), JobState.RUNNING, 0, "", T0, T0, null, Map.of(), "ana");
    assertConflict(() -> store.insertJob(other), "JOB_ALREADY_EXISTS");
    assertThat(store.job(job.id())).contains(job);
  }

  @Test
  void createJobStoresTheJobAndItsInitialCheckpointTogether() {
    Job job = job(1, JobState.QUEUED);
    Parameters initial = parameters(7);
    store.createJob(job, initial);
    assertThat(store.job(job.id())).contains(job);
    Checkpoint zero = store.latestCheckpoint(job.id()).orElseThrow();
    assertThat(zero.round()).isZero();
    assertThat(zero.parameters()).isEqualTo(initial);

    assertConflict(() -> store.createJob(job, parameters(8)), "JOB_ALREADY_EXISTS");
    assertThat(store.latestCheckpoint(job.id()).orElseThrow().parameters()).as("nothing changed").isEqualTo(initial);
  }

  @Test
  void updateFollowsTheStateMachine() {
    Job queued = job(1, JobState.QUEUED);
    store.insertJob(queued);
    Job running = with(queued, JobState.RUNNING, 0);
    store.updateJob(running);
    Job progressed = with(running, JobState.RUNNING, 2); // same state: allowed
    store.updateJob(progressed);
    assertThat(store.job(queued.id())).contains(progressed);

    assertConflict(() -> store.updateJob(with(progressed, JobState.QUEUED, 2)), "JOB_STATE_CONFLICT");
    Job completed = new Job(queued.id(), queued.spec(), JobState.COMPLETED, 3, "", queued.createdAt(), T0, T0.plusSeconds(9), Map.of("accuracy", 0.9), queued.owner());
    store.updateJob(completed);
    assertThat(store.job(queued.id())).contains(completed);

    for (JobState next : List.of(JobState.QUEUED, JobState.RUNNING, JobState.FAILED, JobState.CANCELLED)) {
      Job illegal = new Job(queued.id(), queued.spec(), next, 4, "changed", queued.createdAt(), T0, null, Map.of(), queued.owner());
      assertThatThrownBy(() -> store.updateJob(illegal))
          .isInstanceOf(ConflictException.class)
          .hasMessageContaining("completed")
          .hasMessageContaining(next.wireName())
          .extracting(e -> ((FedGridException) e).code())
          .isEqualTo("JOB_STATE_CONFLICT");
    }
    assertThat(store.job(queued.id())).contains(completed); // nothing changed
  }

  @Test
  void updatingAnUnknownJobIsNotFound() {
    assertNotFound(() -> store.updateJob(job(1, JobState.RUNNING)), "JOB_NOT_FOUND");
  }

  @Test
  void jobsAreListedNewestFirstWithCursorAndStateFilter() {
    var all = new ArrayList<Job>();
    List<JobState> states = List.of(JobState.QUEUED, JobState.RUNNING, JobState.COMPLETED, JobState.QUEUED, JobState.FAILED, JobState.RUNNING, JobState.QUEUED);
    for (int i = 0; i < states.size(); i++) {
      Job j = job(i + 1, JobState.QUEUED);
      store.insertJob(j);
      if (states.get(i) != JobState.QUEUED) {
        if (states.get(i) != JobState.RUNNING) store.updateJob(with(j, JobState.RUNNING, 0));
        store.updateJob(with(j, states.get(i), 0));
      }
      all.add(store.job(j.id()).orElseThrow());
    }
    List<JobId> newestFirst = all.reversed().stream().map(Job::id).toList();

    assertThat(store.jobs(List.of(), Optional.empty(), 100)).containsExactlyElementsOf(all.reversed());

    // Pages of 3 cover every job once, in order.
    var paged = new ArrayList<JobId>();
    Optional<JobId> cursor = Optional.empty();
    for (int page = 0; page < 10; page++) {
      List<Job> jobs = store.jobs(List.of(), cursor, 3);
      assertThat(jobs.size()).isLessThanOrEqualTo(3);
      if (jobs.isEmpty()) break;
      jobs.forEach(j -> paged.add(j.id()));
      cursor = Optional.of(jobs.getLast().id());
    }
    assertThat(paged).containsExactlyElementsOf(newestFirst);

    assertThat(store.jobs(List.of(JobState.QUEUED), Optional.empty(), 100)).extracting(Job::id)
        .containsExactly(all.get(6).id(), all.get(3).id(), all.get(0).id());
    assertThat(store.jobs(List.of(JobState.RUNNING, JobState.FAILED), Optional.empty(), 100)).extracting(Job::id)
        .containsExactly(all.get(5).id(), all.get(4).id(), all.get(1).id());
    assertThat(store.jobs(List.of(JobState.QUEUED), Optional.of(all.get(6).id()), 1)).extracting(Job::id).containsExactly(all.get(3).id());
    assertThat(store.jobs(List.of(JobState.CANCELLED), Optional.empty(), 100)).isEmpty();
    // A cursor need not be a stored job.
    assertThat(store.jobs(List.of(), Optional.of(JobId.random()), 100)).hasSize(7);
  }

  // ---- rounds and checkpoints ----

  @Test
  void completeRoundRecordsSummaryCheckpointAndJob() {
    Job running = startedJob(1);
    Parameters initial = parameters(1);
    store.saveInitialCheckpoint(running.id(), initial);
    assertCheckpoint(store.latestCheckpoint(running.id()).orElseThrow(), 0, initial, Map.of());

    Job after1 = new Job(running.id(), running.spec(), JobState.RUNNING, 1, "", running.createdAt(), running.startedAt(), null, Map.of("accuracy", 0.7), running.owner());
    RoundSummary s1 = summary(running.id(), 1);
    Checkpoint c1 = new Checkpoint(1, parameters(2), strategyState(2));
    store.completeRound(after1, s1, c1);

    assertThat(store.job(running.id())).contains(after1);
    assertThat(store.rounds(running.id())).containsExactly(s1);
    assertCheckpoint(store.latestCheckpoint(running.id()).orElseThrow(), 1, c1.parameters(), c1.strategyState());

    // The last round may finish the job in the same transaction.
    Job done = new Job(running.id(), running.spec(), JobState.COMPLETED, 2, "", running.createdAt(), running.startedAt(), T0.plusSeconds(99), Map.of("accuracy", 0.8), running.owner());
    RoundSummary s2 = summary(running.id(), 2);
    store.completeRound(done, s2, new Checkpoint(2, parameters(3), strategyState(3)));
    assertThat(store.job(running.id())).contains(done);
    assertThat(store.rounds(running.id())).containsExactly(s1, s2);
    assertThat(store.latestCheckpoint(running.id()).orElseThrow().round()).isEqualTo(2);
  }

  @Test
  void aRoundIsRecordedOnceAndARefusalChangesNothing() {
    Job running = startedJob(1);
    Job after1 = with(running, JobState.RUNNING, 1);
    RoundSummary s1 = summary(running.id(), 1);
    Checkpoint c1 = new Checkpoint(1, parameters(2), strategyState(2));
    store.completeRound(after1, s1, c1);

    Job replay = new Job(running.id(), running.spec(), JobState.FAILED, 1, "replayed", running.createdAt(), running.startedAt(), T0, Map.of("accuracy", 0.1), running.owner());
    RoundSummary other = new RoundSummary(running.id(), 1, T0, T0, List.of(), 0, 0, List.of(), Map.of(), Map.of());
    assertConflict(() -> store.completeRound(replay, other, new Checkpoint(1, parameters(9), Map.of())), "ROUND_ALREADY_RECORDED");

    assertThat(store.job(running.id())).contains(after1);
    assertThat(store.rounds(running.id())).containsExactly(s1);
    assertCheckpoint(store.latestCheckpoint(running.id()).orElseThrow(), 1, c1.parameters(), c1.strategyState());
  }

  @Test
  void completeRoundRefusesAnIllegalStateChangeAndRecordsNothing() {
    Job queued = job(1, JobState.QUEUED);
    store.insertJob(queued);
    store.updateJob(with(queued, JobState.RUNNING, 0));
    store.updateJob(with(queued, JobState.CANCELLED, 0));

    assertConflict(() -> store.completeRound(with(queued, JobState.RUNNING, 1), summary(queued.id(), 1), new Checkpoint(1, parameters(1), Map.of())),
        "JOB_STATE_CONFLICT");
    assertThat(store.rounds(queued.id())).isEmpty();
    assertThat(store.latestCheckpoint(queued.id())).isEmpty();
    assertThat(store.job(queued.id()).orElseThrow().state()).isEqualTo(JobState.CANCELLED);
  }

  @Test
  void roundsAndCheckpointsOfUnknownJobs() {
    Job never = job(1, JobState.RUNNING);
    JobId unknown = never.id();
    assertNotFound(() -> store.completeRound(with(never, JobState.RUNNING, 1), summary(unknown, 1), new Checkpoint(1, parameters(1), Map.of())),
        "JOB_NOT_FOUND");
    assertNotFound(() -> store.saveInitialCheckpoint(unknown, parameters(1)), "JOB_NOT_FOUND");
    assertThat(store.latestCheckpoint(unknown)).isEmpty();
    assertThat(store.rounds(unknown)).isEmpty();
  }

  @Test
  void checkpointsRoundTripBitForBit() {
    Job running = startedJob(1);
    float[] odd = {Float.NaN, Float.intBitsToFloat(0x7fc01234), -0.0f, 0.0f, Float.MIN_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, 1e-40f};
    var layout = new ParameterLayout(List.of(TensorSpec.of("layer0.weight", 2, 4), TensorSpec.of("layer0.bias", 1)));
    float[] values = new float[9];
    System.arraycopy(odd, 0, values, 0, odd.length);
    values[8] = Float.NEGATIVE_INFINITY;
    Parameters p0 = new Parameters(layout, values);
    store.saveInitialCheckpoint(running.id(), p0);
    assertCheckpoint(store.latestCheckpoint(running.id()).orElseThrow(), 0, p0, Map.of());

    // Replacing round 0 keeps one round-0 checkpoint.
    Parameters p0b = parameters(5);
    store.saveInitialCheckpoint(running.id(), p0b);
    assertCheckpoint(store.latestCheckpoint(running.id()).orElseThrow(), 0, p0b, Map.of());

    Map<String, float[]> state = Map.of("m", odd.clone(), "v", new float[] {1, 2, 3}, "scalar", new float[] {-0.0f});
    store.completeRound(with(running, JobState.RUNNING, 1), summary(running.id(), 1), new Checkpoint(1, parameters(6), state));
    assertCheckpoint(store.latestCheckpoint(running.id()).orElseThrow(), 1, parameters(6), state);
  }

  @Test
  void latestCheckpointIsTheHighestRound() {
    Job running = startedJob(1);
    store.saveInitialCheckpoint(running.id(), parameters(0));
    for (int round = 1; round <= 6; round++) {
      store.completeRound(with(running, JobState.RUNNING, round), summary(running.id(), round), new Checkpoint(round, parameters(round), strategyState(round)));
      assertCheckpoint(store.latestCheckpoint(running.id()).orElseThrow(), round, parameters(round), strategyState(round));
    }
    assertThat(store.rounds(running.id())).extracting(RoundSummary::round).containsExactly(1, 2, 3, 4, 5, 6);
  }

  @Test
  void deletingAJobDeletesItsRoundsCheckpointsAndEvents() {
    Job doomed = startedJob(1);
    Job kept = startedJob(2);
    for (Job j : List.of(doomed, kept)) {
      store.saveInitialCheckpoint(j.id(), parameters(0));
      store.completeRound(with(j, JobState.RUNNING, 1), summary(j.id(), 1), new Checkpoint(1, parameters(1), strategyState(1)));
      store.appendEvent(j.id(), "round", "round 1 done", T0);
    }

    store.deleteJob(doomed.id());

    assertThat(store.job(doomed.id())).isEmpty();
    assertThat(store.rounds(doomed.id())).isEmpty();
    assertThat(store.latestCheckpoint(doomed.id())).isEmpty();
    assertThat(store.events(doomed.id(), 0)).isEmpty();
    assertNotFound(() -> store.deleteJob(doomed.id()), "JOB_NOT_FOUND");
    assertNotFound(() -> store.appendEvent(doomed.id(), "state", "late", T0), "JOB_NOT_FOUND");

    assertThat(store.job(kept.id())).isPresent();
    assertThat(store.rounds(kept.id())).hasSize(1);
    assertThat(store.latestCheckpoint(kept.id()).orElseThrow().round()).isEqualTo(1);
    assertThat(store.events(kept.id(), 0)).hasSize(1);

    // The id may be reused after deletion, starting from scratch.
    store.insertJob(doomed);
    assertThat(store.appendEvent(doomed.id(), "state", "again", T0).seq()).isEqualTo(1);
    assertThat(store.rounds(doomed.id())).isEmpty();
  }

  // ---- events ----

  @Test
  void eventsAreNumberedPerJobFromOne() {
    Job a = startedJob(1);
    Job b = startedJob(2);
    JobEvent a1 = store.appendEvent(a.id(), "state", "running", T0);
    JobEvent a2 = store.appendEvent(a.id(), "round", "round 1: 2 of 2 updates", T0.plusNanos(1));
    JobEvent b1 = store.appendEvent(b.id(), "node_failed", "node timed out", T0.plusSeconds(1));
    JobEvent a3 = store.appendEvent(a.id(), "state", "completed", T0.plusSeconds(2));

    assertThat(a1).isEqualTo(new JobEvent(a.id(), 1, "state", "running", T0));
    assertThat(List.of(a1.seq(), a2.seq(), a3.seq(), b1.seq())).containsExactly(1L, 2L, 3L, 1L);
    assertThat(store.events(a.id(), 0)).containsExactly(a1, a2, a3);
    assertThat(store.events(a.id(), 1)).containsExactly(a2, a3);
    assertThat(store.events(a.id(), 3)).isEmpty();
    assertThat(store.events(b.id(), 0)).containsExactly(b1);
    assertThat(store.events(JobId.random(), 0)).isEmpty();
    assertNotFound(() -> store.appendEvent(JobId.random(), "state", "x", T0), "JOB_NOT_FOUND");
  }

  // ---- durability ----

  @Test
  void everythingSurvivesCloseAndReopen() {
    assumeThat(durable()).as("backend is durable").isTrue();
    NodeRecord n = putNode("alpha");
    store.touchNode(n.id(), T0.plusSeconds(5));
    DatasetInfo ds = store.putDataset(n.id(), metadata("cancer", 100), T0);
    Job running = startedJob(1);
    Job queued = job(2, JobState.QUEUED);
    store.insertJob(queued);
    store.saveInitialCheckpoint(running.id(), parameters(0));
    Job after1 = with(running, JobState.RUNNING, 1);
    RoundSummary s1 = summary(running.id(), 1);
    store.completeRound(after1, s1, new Checkpoint(1, parameters(1), strategyState(1)));
    JobEvent e1 = store.appendEvent(running.id(), "round", "round 1 done", T0.plusSeconds(3));

    reopen();

    NodeRecord storedNode = store.node(n.id()).orElseThrow();
    assertThat(storedNode.lastSeenAt()).isEqualTo(T0.plusSeconds(5));
    assertThat(storedNode.tokenHash()).isEqualTo(n.tokenHash());
    assertThat(store.dataset(ds.id())).contains(ds);
    assertThat(store.jobs(List.of(), Optional.empty(), 10)).containsExactly(queued, after1);
    assertThat(store.rounds(running.id())).containsExactly(s1);
    assertCheckpoint(store.latestCheckpoint(running.id()).orElseThrow(), 1, parameters(1), strategyState(1));
    assertThat(store.events(running.id(), 0)).containsExactly(e1);
    assertThat(store.appendEvent(running.id(), "state", "resumed", T0).seq()).isEqualTo(2);
  }

  // ---- concurrency ----

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void concurrentAppendsGetGaplessSequenceNumbers() throws Exception {
    Job running = startedJob(1);
    int threads = 8;
    int perThread = 200;
    var seqs = new ConcurrentLinkedQueue<Long>();
    var start = new CountDownLatch(1);
    try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      var futures = new ArrayList<Future<?>>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(executor.submit(() -> {
          start.await();
          for (int i = 0; i < perThread; i++) {
            seqs.add(store.appendEvent(running.id(), "tick", "thread " + thread + " event " + i, T0).seq());
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : futures) f.get();
    }
    long total = (long) threads * perThread;
    assertThat(new HashSet<>(seqs)).hasSize((int) total).containsAll(LongStream.rangeClosed(1, total).boxed().toList());
    List<JobEvent> events = store.events(running.id(), 0);
    assertThat(events).extracting(JobEvent::seq).containsExactlyElementsOf(LongStream.rangeClosed(1, total).boxed().toList());
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void concurrentCompletionsOfOneRoundHaveOneWinner() throws Exception {
    Job running = startedJob(1);
    int threads = 8;
    var wins = new AtomicInteger();
    var conflicts = new AtomicInteger();
    var winner = new ConcurrentLinkedQueue<RoundSummary>();
    var start = new CountDownLatch(1);
    try (var executor = Executors.newVirtualThreadPerTaskExecutor()) {
      var futures = new ArrayList<Future<?>>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        futures.add(executor.submit(() -> {
          RoundSummary s = new RoundSummary(running.id(), 1, T0, T0.plusSeconds(1), List.of(), thread, thread * 10L, List.of(), Map.of(), Map.of());
          start.await();
          try {
            store.completeRound(with(running, JobState.RUNNING, 1), s, new Checkpoint(1, parameters(thread), strategyState(thread)));
            wins.incrementAndGet();
            winner.add(s);
          } catch (ConflictException e) {
            assertThat(e.code()).isEqualTo("ROUND_ALREADY_RECORDED");
            conflicts.incrementAndGet();
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : futures) f.get();
    }
    assertThat(wins).hasValue(1);
    assertThat(conflicts).hasValue(threads - 1);
    RoundSummary won = winner.peek();
    assertThat(store.rounds(running.id())).containsExactly(won);
    assertCheckpoint(store.latestCheckpoint(running.id()).orElseThrow(), 1, parameters(won.updates()), strategyState(won.updates()));
  }

  // ---- fixtures ----

  protected static NodeRecord node(String name, Instant registeredAt) {
    return new NodeRecord(NodeId.random(), name, 8, 16_384, "0.1.0", new byte[] {1, 2, 3, (byte) 0xff}, registeredAt, registeredAt);
  }

  protected NodeRecord putNode(String name) {
    NodeRecord n = node(name, T0);
    store.putNode(n);
    return n;
  }

  protected static DatasetMetadata metadata(String name, long trainRows) {
    return new DatasetMetadata(
        name,
        DatasetFormat.CSV,
        List.of(2),
        List.of(new ColumnStats("age", trainRows, 54.5, 9.25), new ColumnStats("dose", trainRows, 0.1, 0.0)),
        LabelInfo.categorical("label", List.of(trainRows / 2, trainRows - trainRows / 2)),
        trainRows,
        20,
        List.of("medical", "tabular"),
        Visibility.PUBLIC);
  }

  protected static JobSpec spec(String name) {
    return new JobSpec(
        name, List.of("cancer"), ModelSpec.mlp(List.of(8), 1, Loss.BINARY_CROSS_ENTROPY), null, new StrategyConfig.FedAdam(0.05, null, null, null), 5, 2, 60, false);
  }

  /** A job whose id sorts after every job with a lower {@code n}. */
  protected static Job job(int n, JobState state) {
    JobId id = JobId.of(Ids.next(JobId.PREFIX, T0.toEpochMilli() + n));
    Instant created = T0.plusMillis(n);
    return new Job(id, spec("job " + n), state, 0, "", created, state == JobState.QUEUED ? null : created.plusNanos(1), null, Map.of(), "ana");
  }

  /** Stores a queued job and moves it to running. */
  protected Job startedJob(int n) {
    Job queued = job(n, JobState.QUEUED);
    store.insertJob(queued);
    Job running = with(queued, JobState.RUNNING, 0);
    store.updateJob(running);
    return running;
  }

  protected static Job with(Job job, JobState state, int completedRounds) {
    Instant started = job.startedAt() == null && state != JobState.QUEUED ? T0.plusSeconds(1) : job.startedAt();
    Instant finished = state.isTerminal() ? T0.plusSeconds(100) : null;
    return new Job(job.id(), job.spec(), state, completedRounds, job.message(), job.createdAt(), started, finished, job.metrics(), job.owner());
  }

  protected static RoundSummary summary(JobId job, int round) {
    NodeId a = NodeId.random();
    NodeId b = NodeId.random();
    return new RoundSummary(
        job, round, T0.plusSeconds(round), T0.plusSeconds(round).plusNanos(999_999_999), List.of(a, b), 1, 640,
        List.of(new NodeFailure(b, "fit", "timed out after 60 s")), Map.of("loss", 0.25 * round), Map.of("accuracy", 0.5 + round / 100.0),
        0.75 * round);
  }

  protected static Parameters parameters(int seed) {
    var layout = new ParameterLayout(List.of(TensorSpec.of("layer0.weight", 8, 2), TensorSpec.of("layer0.bias", 8), TensorSpec.of("layer2.weight", 1, 8),
        TensorSpec.of("layer2.bias", 1)));
    var random = new Random(seed);
    float[] values = new float[layout.size()];
    for (int i = 0; i < values.length; i++) values[i] = (float) random.nextGaussian();
    return new Parameters(layout, values);
  }

  protected static Map<String, float[]> strategyState(int seed) {
    var random = new Random(seed);
    float[] m = new float[33];
    float[] v = new float[33];
    for (int i = 0; i < m.length; i++) {
      m[i] = random.nextFloat();
      v[i] = random.nextFloat();
    }
    return Map.of("m", m, "v", v);
  }

  // ---- assertions ----

  private static void assertSameNode(NodeRecord actual, NodeRecord expected) {
    assertThat(actual).usingRecursiveComparison().isEqualTo(expected);
    assertThat(actual.tokenHash()).isEqualTo(expected.tokenHash());
  }

  /** Compares raw bits, so that NaN payloads and signed zeros count. */
  protected static void assertCheckpoint(Checkpoint actual, int round, Parameters parameters, Map<String, float[]> state) {
    assertThat(actual.round()).isEqualTo(round);
    assertThat(actual.parameters().layout()).isEqualTo(parameters.layout());
    assertThat(bits(actual.parameters().values())).isEqualTo(bits(parameters.values()));
    assertThat(actual.strategyState().keySet()).isEqualTo(state.keySet());
    state.forEach((name, values) -> assertThat(bits(actual.strategyState().get(name))).as(name).isEqualTo(bits(values)));
  }

  private static int[] bits(float[] values) {
    int[] bits = new int[values.length];
    for (int i = 0; i < values.length; i++) bits[i] = Float.floatToRawIntBits(values[i]);
    return bits;
  }

  private static void assertConflict(Runnable call, String code) {
    assertThatThrownBy(call::run).isInstanceOf(ConflictException.class).extracting(e -> ((FedGridException) e).code()).isEqualTo(code);
  }

  private static void assertNotFound(Runnable call, String code) {
    assertThatThrownBy(call::run).isInstanceOf(NotFoundException.class).extracting(e -> ((FedGridException) e).code()).isEqualTo(code);
  }
}
