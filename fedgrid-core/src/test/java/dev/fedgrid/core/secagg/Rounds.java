package dev.fedgrid.core.secagg;

import dev.fedgrid.core.secagg.SecAggMessage.ForwardedShares;
import dev.fedgrid.core.secagg.SecAggMessage.FromClient;
import dev.fedgrid.core.secagg.SecAggMessage.MaskedInput;
import dev.fedgrid.core.secagg.SecAggMessage.NeighbourKeys;
import dev.fedgrid.core.secagg.SecAggMessage.ShareKeys;
import dev.fedgrid.core.secagg.SecAggMessage.UnmaskRequest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;

/** Drives whole SecAgg+ rounds in memory for the tests, with clients that drop out on cue. */
final class Rounds {
  static final SecureRandom RANDOM = new SecureRandom();

  private Rounds() {}

  /** One round's inputs and drop-outs: client u skips its message of {@code dropAt.get(u)} and all later ones. */
  record Plan(SecAggConfig config, float[][] inputs, long[] weights, Map<Integer, SecAggStage> dropAt) {
    static Plan of(SecAggConfig config, long seed) {
      Random random = new Random(seed);
      float[][] inputs = new float[config.clients()][config.length()];
      long[] weights = new long[config.clients()];
      for (int u = 0; u < config.clients(); u++) {
        for (int i = 0; i < config.length(); i++) inputs[u][i] = (random.nextFloat() * 2 - 1) * 1.2f * config.clip();
        weights[u] = 1 + random.nextLong(config.maxWeight());
      }
      return new Plan(config, inputs, weights, Map.of());
    }

    Plan dropping(Map<Integer, SecAggStage> dropAt) {
      return new Plan(config, inputs, weights, dropAt);
    }

    boolean sends(int u, SecAggStage stage) {
      SecAggStage drop = dropAt.get(u);
      return drop == null || stage.compareTo(drop) < 0;
    }

    /** The plaintext reference: Σ w q over clients that send a masked input, and Σ w. */
    long[] expectedSums() {
      Quantizer quantizer = new Quantizer(config);
      long[] sums = new long[config.maskedLength()];
      for (int u = 0; u < config.clients(); u++) {
        if (!sends(u, SecAggStage.MASKED_INPUT)) continue;
        long[] q = quantizer.quantize(inputs[u], weights[u], new SplittableRandom(0));
        for (int i = 0; i < sums.length; i++) sums[i] += q[i];
      }
      return sums;
    }
  }

  /** What a round released and what the server was sent along the way. */
  record Outcome(SecAggResult result, SecAggServer server, List<SecAggClient> clients, List<FromClient> received) {}

  static Outcome run(Plan plan) {
    return run(plan, new ArrayList<>());
  }

  /** Runs a round to the end; {@code received} collects every message handed to the server, even if it throws. */
  static Outcome run(Plan plan, List<FromClient> received) {
    SecAggConfig config = plan.config();
    SecAggServer server = new SecAggServer(config, RANDOM);
    List<SecAggClient> clients = new ArrayList<>();
    for (var setup : server.setup()) clients.add(new SecAggClient(setup, RANDOM));
    Outcome outcome = new Outcome(null, server, clients, received);
    for (SecAggClient client : clients) {
      if (plan.sends(client.node(), SecAggStage.ADVERTISE_KEYS)) deliver(server, client.advertiseKeys(), received);
    }
    Map<Integer, ShareKeys> shares = new HashMap<>();
    for (NeighbourKeys keys : server.closeAdvertiseKeys()) {
      if (plan.sends(keys.node(), SecAggStage.SHARE_KEYS)) deliver(server, clients.get(keys.node()).shareKeys(keys), received);
    }
    for (ForwardedShares forwarded : server.closeShareKeys()) {
      int u = forwarded.node();
      if (plan.sends(u, SecAggStage.MASKED_INPUT)) {
        MaskedInput masked = clients.get(u).maskInput(forwarded, plan.inputs()[u], plan.weights()[u]);
        deliver(server, masked, received);
      }
    }
    for (UnmaskRequest request : server.closeMaskedInput()) {
      if (plan.sends(request.node(), SecAggStage.UNMASKING)) deliver(server, clients.get(request.node()).unmask(request), received);
    }
    return new Outcome(server.finish(), server, clients, received);
  }

  static void deliver(SecAggServer server, FromClient message, List<FromClient> received) {
    received.add(message);
    server.receive(message);
  }
}
