package dev.fedgrid.core.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.core.secagg.SecAggMessage.ForwardedShares;
import dev.fedgrid.core.secagg.SecAggMessage.UnmaskRequest;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** For each node the server may learn its self-mask seed or its masking key, never both. */
class SecAggNeverBothTest {
  private static final SecAggConfig CONFIG = SecAggConfig.builder(5, 4).neighbours(4).threshold(3).build();

  /** A round stopped at stage 4, with client 4 dropped at stage 3. */
  private static final class AtUnmasking {
    final SecAggServer server = new SecAggServer(CONFIG, Rounds.RANDOM);
    final List<SecAggClient> clients = server.setup().stream().map(s -> new SecAggClient(s, Rounds.RANDOM)).toList();
    final List<UnmaskRequest> requests;

    AtUnmasking() {
      clients.forEach(c -> server.receive(c.advertiseKeys()));
      server.closeAdvertiseKeys().forEach(k -> server.receive(clients.get(k.node()).shareKeys(k)));
      for (ForwardedShares f : server.closeShareKeys()) {
        if (f.node() != 4) server.receive(clients.get(f.node()).maskInput(f, new float[4], 1));
      }
      requests = server.closeMaskedInput();
    }
  }

  private static String code(Throwable e) {
    return ((FedGridException) e).code();
  }

  @Test
  void theServerAsksForEachNodeOneKindOfShareOnly() {
    AtUnmasking round = new AtUnmasking();
    Set<Integer> selfMask = new HashSet<>();
    Set<Integer> secretKey = new HashSet<>();
    for (UnmaskRequest r : round.requests) {
      for (int v : r.selfMaskOf()) selfMask.add(v);
      for (int v : r.secretKeyOf()) secretKey.add(v);
    }
    assertThat(selfMask).containsExactlyInAnyOrder(0, 1, 2, 3);
    assertThat(secretKey).containsExactly(4);
  }

  @Test
  void aClientRefusesARequestForBothSharesOfOneNode() {
    AtUnmasking round = new AtUnmasking();
    SecAggClient client = round.clients.get(0);
    UnmaskRequest both = new UnmaskRequest(0, new int[] {0, 1, 2, 3}, new int[] {3, 4});
    assertThatThrownBy(() -> client.unmask(both))
        .hasMessageContaining("stage UNMASKING, node 0 refuses")
        .hasMessageContaining("both the self-mask share and the masking-key share of node 3")
        .satisfies(e -> assertThat(code(e)).isEqualTo("SECAGG_UNMASK_REFUSED"));
    // Having refused, it answers nothing else this round, not even the honest request.
    assertThat(client.stage()).isEqualTo(SecAggStage.FAILED);
    assertThatThrownBy(() -> client.unmask(round.requests.get(0))).satisfies(e -> assertThat(code(e)).isEqualTo("SECAGG_OUT_OF_ORDER"));
  }

  @Test
  void aClientAnswersOnlyOnce() {
    AtUnmasking round = new AtUnmasking();
    SecAggClient client = round.clients.get(1);
    UnmaskRequest honest = round.requests.get(1);
    assertThat(client.unmask(honest).secretKeyShares()).hasSize(1);
    assertThatThrownBy(() -> client.unmask(new UnmaskRequest(1, new int[] {0, 1, 2, 3, 4}, new int[0]))).satisfies(e -> assertThat(code(e)).isEqualTo("SECAGG_OUT_OF_ORDER"));
  }

  @Test
  void aClientNeverRevealsItsOwnMaskingKey() {
    AtUnmasking round = new AtUnmasking();
    assertThatThrownBy(() -> round.clients.get(2).unmask(new UnmaskRequest(2, new int[] {0, 1, 3}, new int[] {2})))
        .hasMessageContaining("this client's own masking key");
  }

  @Test
  void aClientRefusesWhenTooFewOfItsHoldersAreReportedAlive() {
    AtUnmasking round = new AtUnmasking();
    assertThatThrownBy(() -> round.clients.get(2).unmask(new UnmaskRequest(2, new int[] {2}, new int[] {0, 1, 3, 4})))
        .hasMessageContaining("only 1 of this client's shareholders")
        .hasMessageContaining("threshold 3");
  }

  @Test
  void aClientRefusesToRevealSharesItDoesNotHold() {
    var config = SecAggConfig.builder(6, 2).neighbours(2).threshold(2).build();
    var server = new SecAggServer(config, Rounds.RANDOM);
    var setups = server.setup();
    var clients = setups.stream().map(s -> new SecAggClient(s, Rounds.RANDOM)).toList();
    clients.forEach(c -> server.receive(c.advertiseKeys()));
    server.closeAdvertiseKeys().forEach(k -> server.receive(clients.get(k.node()).shareKeys(k)));
    server.closeShareKeys().forEach(f -> server.receive(clients.get(f.node()).maskInput(f, new float[2], 1)));
    server.closeMaskedInput();
    int[] neighbours = setups.get(0).neighbours();
    int stranger = java.util.stream.IntStream.range(1, 6).filter(v -> java.util.Arrays.binarySearch(neighbours, v) < 0).findFirst().orElseThrow();
    assertThatThrownBy(() -> clients.get(0).unmask(new UnmaskRequest(0, new int[] {0, neighbours[0], neighbours[1], stranger}, new int[0])))
        .hasMessageContaining("share of node " + stranger + ", which did not share with this client");
  }
}
