package dev.fedgrid.core.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.core.secagg.SecAggMessage.AdvertiseKeys;
import dev.fedgrid.core.secagg.SecAggMessage.EncryptedShare;
import dev.fedgrid.core.secagg.SecAggMessage.ForwardedShares;
import dev.fedgrid.core.secagg.SecAggMessage.MaskedInput;
import dev.fedgrid.core.secagg.SecAggMessage.NeighbourKeys;
import dev.fedgrid.core.secagg.SecAggMessage.RevealedShare;
import dev.fedgrid.core.secagg.SecAggMessage.ShareKeys;
import dev.fedgrid.core.secagg.SecAggMessage.UnmaskRequest;
import dev.fedgrid.core.secagg.SecAggMessage.UnmaskResponse;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Malformed, misaddressed and out-of-order messages fail cleanly, naming the stage and the node. */
class SecAggBadInputTest {
  private static final int N = 5;
  private static final SecAggConfig CONFIG = SecAggConfig.builder(N, 8).neighbours(4).threshold(3).build();

  /** A round stepped by hand, stage by stage. */
  private static final class Round {
    final SecAggServer server = new SecAggServer(CONFIG, Rounds.RANDOM);
    final List<SecAggClient> clients = server.setup().stream().map(s -> new SecAggClient(s, Rounds.RANDOM)).toList();
    List<NeighbourKeys> keys;
    List<ShareKeys> shares = new ArrayList<>();
    List<ForwardedShares> forwarded;
    List<UnmaskRequest> requests;

    Round advertised() {
      for (SecAggClient c : clients) server.receive(c.advertiseKeys());
      keys = server.closeAdvertiseKeys();
      return this;
    }

    Round shared() {
      advertised();
      for (NeighbourKeys k : keys) shares.add(clients.get(k.node()).shareKeys(k));
      shares.forEach(server::receive);
      forwarded = server.closeShareKeys();
      return this;
    }

    Round masked() {
      shared();
      for (ForwardedShares f : forwarded) server.receive(clients.get(f.node()).maskInput(f, new float[8], 1));
      requests = server.closeMaskedInput();
      return this;
    }
  }

  private static void assertFails(ThrowingCallable call, String code, String... fragments) {
    Throwable e = catchThrowable(call);
    assertThat(e).isInstanceOf(FedGridException.class);
    assertThat(((FedGridException) e).code()).isEqualTo(code);
    for (String fragment : fragments) assertThat(e).hasMessageContaining(fragment);
  }

  private static void assertAbandoned(Round round) {
    assertThat(round.server.stage()).isEqualTo(SecAggStage.FAILED);
    assertThatThrownBy(round.server::finish).isInstanceOf(ConflictException.class).hasMessageContaining("abandoned");
  }

  @Test
  void aMessageFromAnUnknownNodeAbandonsTheRound() {
    Round round = new Round();
    AdvertiseKeys keys = round.clients.get(0).advertiseKeys();
    assertThatThrownBy(() -> round.server.receive(new AdvertiseKeys(N + 3, keys.encryptionKey(), keys.maskingKey())))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("stage ADVERTISE_KEYS")
        .hasMessageContaining("unknown node " + (N + 3));
    assertAbandoned(round);
  }

  @Test
  void aMalformedPublicKeyAbandonsTheRound() {
    Round round = new Round();
    assertThatThrownBy(() -> round.server.receive(new AdvertiseKeys(1, new byte[31], new byte[32])))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("node 1")
        .hasMessageContaining("malformed public key");
    assertAbandoned(round);
  }

  @Test
  void aRepeatedPublicKeyAbandonsTheRound() {
    Round round = new Round();
    AdvertiseKeys first = round.clients.get(0).advertiseKeys();
    round.server.receive(first);
    round.server.receive(new AdvertiseKeys(1, first.encryptionKey().clone(), round.clients.get(1).advertiseKeys().maskingKey()));
    for (int u = 2; u < N; u++) round.server.receive(round.clients.get(u).advertiseKeys());
    assertThatThrownBy(round.server::closeAdvertiseKeys).hasMessageContaining("node 1").hasMessageContaining("node 0 advertised too");
    assertAbandoned(round);
  }

  @Test
  void aShareForAnUnknownNeighbourAbandonsTheRound() {
    var config = SecAggConfig.builder(6, 2).neighbours(2).threshold(2).build();
    var server = new SecAggServer(config, Rounds.RANDOM);
    var setups = server.setup();
    var clients = setups.stream().map(s -> new SecAggClient(s, Rounds.RANDOM)).toList();
    clients.forEach(c -> server.receive(c.advertiseKeys()));
    var keys = server.closeAdvertiseKeys();
    ShareKeys honest = clients.get(0).shareKeys(keys.get(0));
    int stranger = java.util.stream.IntStream.range(1, 6).filter(v -> java.util.Arrays.binarySearch(setups.get(0).neighbours(), v) < 0).findFirst().orElseThrow();
    List<EncryptedShare> forged = new ArrayList<>(honest.shares());
    forged.set(0, new EncryptedShare(0, stranger, forged.get(0).ciphertext()));
    assertThatThrownBy(() -> server.receive(new ShareKeys(0, forged)))
        .hasMessageContaining("stage SHARE_KEYS, node 0")
        .hasMessageContaining("share for node " + stranger + ", which is not its neighbour");
    assertThat(server.stage()).isEqualTo(SecAggStage.FAILED);
  }

  @Test
  void aShareOfTheWrongLengthAbandonsTheRound() {
    Round round = new Round().advertised();
    ShareKeys honest = round.clients.get(2).shareKeys(round.keys.get(2));
    List<EncryptedShare> cut = new ArrayList<>(honest.shares());
    EncryptedShare first = cut.get(0);
    cut.set(0, new EncryptedShare(2, first.receiver(), java.util.Arrays.copyOf(first.ciphertext(), 40)));
    assertThatThrownBy(() -> round.server.receive(new ShareKeys(2, cut))).hasMessageContaining("node 2").hasMessageContaining("of 40 bytes, expected 93");
    assertAbandoned(round);
  }

  @Test
  void missingSharesAbandonTheRound() {
    Round round = new Round().advertised();
    ShareKeys honest = round.clients.get(2).shareKeys(round.keys.get(2));
    assertThatThrownBy(() -> round.server.receive(new ShareKeys(2, honest.shares().subList(1, honest.shares().size()))))
        .hasMessageContaining("sent shares for 3 neighbours but 4 of its neighbours advertised keys");
    assertAbandoned(round);
  }

  @Test
  void aTamperedShareFailsAuthenticationAtItsReceiver() {
    Round round = new Round().shared();
    ForwardedShares toOne = round.forwarded.get(1);
    EncryptedShare share = toOne.shares().get(0);
    byte[] flipped = share.ciphertext().clone();
    flipped[20] ^= 1;
    List<EncryptedShare> tampered = new ArrayList<>(toOne.shares());
    tampered.set(0, new EncryptedShare(share.sender(), share.receiver(), flipped));
    SecAggClient client = round.clients.get(1);
    assertThatThrownBy(() -> client.maskInput(new ForwardedShares(1, tampered), new float[8], 1))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("node 1")
        .hasMessageContaining("from node " + share.sender() + " fails authentication");
    assertThat(client.stage()).isEqualTo(SecAggStage.FAILED);
  }

  @Test
  void aShareRedirectedToAnotherClientFailsAuthentication() {
    Round round = new Round().shared();
    // Node 1 receives a share that node 0 sealed for node 2, relabelled as if it were for node 1.
    EncryptedShare forNodeTwo = round.shares.get(0).shares().stream().filter(s -> s.receiver() == 2).findFirst().orElseThrow();
    List<EncryptedShare> swapped = new ArrayList<>(round.forwarded.get(1).shares());
    swapped.replaceAll(s -> s.sender() == 0 ? new EncryptedShare(0, 1, forNodeTwo.ciphertext()) : s);
    assertThatThrownBy(() -> round.clients.get(1).maskInput(new ForwardedShares(1, swapped), new float[8], 1)).hasMessageContaining("fails authentication");
  }

  @Test
  void aMaskedVectorOfTheWrongSizeAbandonsTheRound() {
    Round round = new Round().shared();
    assertThatThrownBy(() -> round.server.receive(new MaskedInput(3, new long[5])))
        .hasMessageContaining("stage MASKED_INPUT, node 3")
        .hasMessageContaining("masked vector of 5 elements, expected 9");
    assertAbandoned(round);
  }

  @Test
  void aMaskedValueOutsideTheModulusAbandonsTheRound() {
    Round round = new Round().shared();
    long[] masked = new long[9];
    masked[4] = 1L << CONFIG.modulusBits();
    assertThatThrownBy(() -> round.server.receive(new MaskedInput(3, masked))).hasMessageContaining("node 3").hasMessageContaining("element 4").hasMessageContaining("outside [0, 2^32)");
    assertAbandoned(round);
  }

  @Test
  void aMessageOfAStageNotYetOpenAbandonsTheRound() {
    Round round = new Round().advertised();
    assertFails(() -> round.server.receive(new MaskedInput(0, new long[9])), "SECAGG_OUT_OF_ORDER", "stage SHARE_KEYS, node 0", "belongs to stage MASKED_INPUT");
    assertAbandoned(round);
  }

  @Test
  void aLateMessageIsRefusedAndTheRoundGoesOn() {
    Round round = new Round().advertised();
    for (int u = 1; u < N; u++) round.server.receive(round.clients.get(u).shareKeys(round.keys.get(u)));
    var forwarded = round.server.closeShareKeys();
    ShareKeys late = round.clients.get(0).shareKeys(round.keys.get(0));
    assertFails(() -> round.server.receive(late), "SECAGG_LATE_MESSAGE", "stage MASKED_INPUT, node 0", "after stage SHARE_KEYS closed");
    assertThat(round.server.stage()).isEqualTo(SecAggStage.MASKED_INPUT);
    for (ForwardedShares f : forwarded) round.server.receive(round.clients.get(f.node()).maskInput(f, new float[8], 1));
    assertFails(() -> round.server.receive(new MaskedInput(0, new long[9])), "SECAGG_LATE_MESSAGE", "node 0", "dropped out before this stage");
    for (UnmaskRequest r : round.server.closeMaskedInput()) round.server.receive(round.clients.get(r.node()).unmask(r));
    assertThat(round.server.finish().survivors()).containsExactly(1, 2, 3, 4);
  }

  @Test
  void aRepeatedMessageAbandonsTheRound() {
    Round round = new Round();
    AdvertiseKeys keys = round.clients.get(0).advertiseKeys();
    round.server.receive(keys);
    assertThatThrownBy(() -> round.server.receive(keys)).hasMessageContaining("node 0").hasMessageContaining("twice");
    assertAbandoned(round);
  }

  @Test
  void stagesMustBeClosedInOrder() {
    Round round = new Round();
    assertFails(round.server::closeMaskedInput, "SECAGG_OUT_OF_ORDER", "stage ADVERTISE_KEYS", "close stage 3");
    assertThat(round.server.stage()).isEqualTo(SecAggStage.ADVERTISE_KEYS);
  }

  @Test
  void aClientRefusesCallsOutOfOrder() {
    Round round = new Round().advertised();
    SecAggClient client = round.clients.get(0);
    assertFails(client::advertiseKeys, "SECAGG_OUT_OF_ORDER", "node 0", "advertise its keys");
    assertFails(() -> client.unmask(new UnmaskRequest(0, new int[0], new int[0])), "SECAGG_OUT_OF_ORDER", "stage SHARE_KEYS");
  }

  @Test
  void aClientRefusesKeysOfANonNeighbour() {
    var config = SecAggConfig.builder(6, 2).neighbours(2).threshold(2).build();
    var server = new SecAggServer(config, Rounds.RANDOM);
    var setups = server.setup();
    var clients = setups.stream().map(s -> new SecAggClient(s, Rounds.RANDOM)).toList();
    List<AdvertiseKeys> keys = clients.stream().map(SecAggClient::advertiseKeys).toList();
    int stranger = java.util.stream.IntStream.range(1, 6).filter(v -> java.util.Arrays.binarySearch(setups.get(0).neighbours(), v) < 0).findFirst().orElseThrow();
    assertThatThrownBy(() -> clients.get(0).shareKeys(new NeighbourKeys(0, List.of(keys.get(stranger)))))
        .hasMessageContaining("stage SHARE_KEYS, node 0")
        .hasMessageContaining("keys of node " + stranger + ", which is not a neighbour");
  }

  @Test
  void aBadLocalUpdateIsRefusedWithoutEndingTheClientsRound() {
    Round round = new Round().shared();
    SecAggClient client = round.clients.get(0);
    ForwardedShares forwarded = round.forwarded.get(0);
    assertFails(() -> client.maskInput(forwarded, new float[7], 1), "SECAGG_BAD_INPUT", "7 values", "vectors of 8");
    float[] nan = new float[8];
    nan[3] = Float.NaN;
    assertFails(() -> client.maskInput(forwarded, nan, 1), "SECAGG_BAD_INPUT", "value 3", "NaN");
    assertFails(() -> client.maskInput(forwarded, new float[8], 2), "SECAGG_BAD_INPUT", "weight 2", "[1, 1]");
    assertThat(client.stage()).isEqualTo(SecAggStage.MASKED_INPUT);
    assertThat(client.maskInput(forwarded, new float[8], 1).masked()).hasSize(9);
  }

  @Test
  void aRevealedShareOfTheWrongLengthOrPlaceAbandonsTheRound() {
    Round round = new Round().masked();
    UnmaskRequest request = round.requests.get(0);
    UnmaskResponse honest = round.clients.get(0).unmask(request);
    RevealedShare first = honest.selfMaskShares().get(0);
    List<RevealedShare> shortened = new ArrayList<>(honest.selfMaskShares());
    shortened.set(0, new RevealedShare(first.owner(), first.x(), new byte[16]));
    assertThatThrownBy(() -> round.server.receive(new UnmaskResponse(0, shortened, honest.secretKeyShares())))
        .hasMessageContaining("stage UNMASKING, node 0")
        .hasMessageContaining("of 16 bytes, expected 32");
    assertAbandoned(round);

    Round other = new Round().masked();
    UnmaskResponse answer = other.clients.get(0).unmask(other.requests.get(0));
    RevealedShare share = answer.selfMaskShares().get(0);
    List<RevealedShare> moved = new ArrayList<>(answer.selfMaskShares());
    moved.set(0, new RevealedShare(share.owner(), share.x() % 255 + 1, share.value()));
    assertThatThrownBy(() -> other.server.receive(new UnmaskResponse(0, moved, answer.secretKeyShares()))).hasMessageContaining("but it holds x = " + share.x());
  }

  @Test
  void aResponseThatRevealsMoreThanAskedAbandonsTheRound() {
    Round round = new Round().masked();
    UnmaskResponse honest = round.clients.get(0).unmask(round.requests.get(0));
    List<RevealedShare> extra = List.of(new RevealedShare(1, 1, new byte[32]));
    assertThatThrownBy(() -> round.server.receive(new UnmaskResponse(0, honest.selfMaskShares(), extra)))
        .hasMessageContaining("revealed 1 masking-key shares but was asked for 0");
    assertAbandoned(round);
  }
}
