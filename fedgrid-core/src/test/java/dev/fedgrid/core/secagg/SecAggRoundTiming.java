package dev.fedgrid.core.secagg;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.core.secagg.SecAggMessage.ForwardedShares;
import dev.fedgrid.core.secagg.SecAggMessage.MaskedInput;
import dev.fedgrid.core.secagg.SecAggMessage.NeighbourKeys;
import dev.fedgrid.core.secagg.SecAggMessage.ShareKeys;
import dev.fedgrid.core.secagg.SecAggMessage.UnmaskRequest;
import dev.fedgrid.core.secagg.SecAggMessage.UnmaskResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * One timed round of n = 100, k = 14, d = 100,000 with 10% of the clients dropping after sharing
 * their keys (the costliest case for the server). Not a benchmark (fedgrid-bench will hold the JMH
 * one): run with {@code ./mvnw -pl fedgrid-core test -Dtest=SecAggRoundTiming -Dfedgrid.secagg.timing=true}.
 */
@EnabledIfSystemProperty(named = "fedgrid.secagg.timing", matches = "true")
class SecAggRoundTiming {
  @Test
  void oneRound() {
    for (int warm = 0; warm < 2; warm++) time(warm == 1);
  }

  private static void time(boolean print) {
    int n = 100;
    int d = 100_000;
    var config = SecAggConfig.builder(n, d).build();
    Map<Integer, SecAggStage> dropAt = new HashMap<>();
    for (int u = 0; u < n; u += 10) dropAt.put(u, SecAggStage.MASKED_INPUT);
    var plan = Rounds.Plan.of(config, 1).dropping(dropAt);
    long[] client = new long[5];
    long[] server = new long[5];
    long t0 = System.nanoTime();
    SecAggServer s = new SecAggServer(config, Rounds.RANDOM);
    List<SecAggClient> clients = new ArrayList<>();
    for (var setup : s.setup()) clients.add(new SecAggClient(setup, Rounds.RANDOM));
    server[0] += System.nanoTime() - t0;
    for (SecAggClient c : clients) {
      long a = System.nanoTime();
      var m = c.advertiseKeys();
      long b = System.nanoTime();
      s.receive(m);
      client[1] += b - a;
      server[1] += System.nanoTime() - b;
    }
    long a0 = System.nanoTime();
    List<NeighbourKeys> keys = s.closeAdvertiseKeys();
    server[1] += System.nanoTime() - a0;
    for (NeighbourKeys k : keys) {
      long a = System.nanoTime();
      ShareKeys m = clients.get(k.node()).shareKeys(k);
      long b = System.nanoTime();
      s.receive(m);
      client[2] += b - a;
      server[2] += System.nanoTime() - b;
    }
    a0 = System.nanoTime();
    List<ForwardedShares> forwarded = s.closeShareKeys();
    server[2] += System.nanoTime() - a0;
    for (ForwardedShares f : forwarded) {
      if (!plan.sends(f.node(), SecAggStage.MASKED_INPUT)) continue;
      long a = System.nanoTime();
      MaskedInput m = clients.get(f.node()).maskInput(f, plan.inputs()[f.node()], 1);
      long b = System.nanoTime();
      s.receive(m);
      client[3] += b - a;
      server[3] += System.nanoTime() - b;
    }
    a0 = System.nanoTime();
    List<UnmaskRequest> requests = s.closeMaskedInput();
    server[3] += System.nanoTime() - a0;
    for (UnmaskRequest r : requests) {
      long a = System.nanoTime();
      UnmaskResponse m = clients.get(r.node()).unmask(r);
      long b = System.nanoTime();
      s.receive(m);
      client[4] += b - a;
      server[4] += System.nanoTime() - b;
    }
    a0 = System.nanoTime();
    SecAggResult result = s.finish();
    long finish = System.nanoTime() - a0;
    server[4] += finish;
    long total = System.nanoTime() - t0;
    assertThat(result.survivors()).hasSize(90);
    if (print) {
      System.out.printf("n=%d k=%d t=%d d=%d b=%d, 10%% dropped at stage 3%n", n, config.neighbours(), config.threshold(), d, config.modulusBits());
      String[] names = {"setup", "advertise", "share", "mask", "unmask"};
      int[] per = {n, n, n, 90, 90};
      for (int i = 0; i < 5; i++) {
        System.out.printf("%-9s clients total %8.1f ms (%.2f ms each)   server %8.1f ms%n", names[i], client[i] / 1e6, client[i] / 1e6 / per[i], server[i] / 1e6);
      }
      System.out.printf("server finish() %.1f ms; whole round, one thread %.1f ms%n", finish / 1e6, total / 1e6);
    }
  }
}
