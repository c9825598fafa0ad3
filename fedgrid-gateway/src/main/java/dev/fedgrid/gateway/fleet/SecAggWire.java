package dev.fedgrid.gateway.fleet;

import com.google.protobuf.ByteString;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.core.secagg.SecAggAssignment;
import dev.fedgrid.core.secagg.SecAggConfig;
import dev.fedgrid.core.secagg.SecAggMessage;
import dev.fedgrid.core.secagg.SecAggMessage.FromClient;
import dev.fedgrid.core.secagg.SecAggMessage.FromServer;
import dev.fedgrid.proto.fleet.v1.NoTask;
import dev.fedgrid.proto.fleet.v1.SecAggAwaitResponse;
import dev.fedgrid.proto.fleet.v1.SecAggForwardedShares;
import dev.fedgrid.proto.fleet.v1.SecAggKeys;
import dev.fedgrid.proto.fleet.v1.SecAggNeighbourKeys;
import dev.fedgrid.proto.fleet.v1.SecAggRevealedShare;
import dev.fedgrid.proto.fleet.v1.SecAggSetup;
import dev.fedgrid.proto.fleet.v1.SecAggShare;
import dev.fedgrid.proto.fleet.v1.SecAggStage;
import dev.fedgrid.proto.fleet.v1.SecAggSubmitHeader;
import dev.fedgrid.proto.fleet.v1.SecAggUnmaskRequest;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * SecAgg+ messages between the fleet API's protobuf and core's {@link SecAggMessage} records, with
 * the checks that need only the message and the round's configuration: the stage's fields present
 * and no other, the masked vector's size. What needs the round's state (node numbers, keys, shares,
 * values inside the modulus) is checked by {@link dev.fedgrid.core.secagg.SecAggServer}.
 * Stateless and thread-safe.
 */
final class SecAggWire {
  /** Most shares one message may carry: a node has at most 254 neighbours. */
  private static final int MAX_SHARES = SecAggConfig.MAX_NEIGHBOURS;

  private SecAggWire() {}

  static SecAggSetup setup(SecAggAssignment a) {
    SecAggMessage.Setup s = a.setup();
    SecAggConfig c = s.config();
    var b = SecAggSetup.newBuilder()
        .setSession(s.session())
        .setNode(s.node())
        .setClients(c.clients())
        .setNeighbourCount(c.neighbours())
        .setThreshold(c.threshold())
        .setModulusBits(c.modulusBits())
        .setQuantizationBits(c.quantizationBits())
        .setClip(c.clip())
        .setLength(c.length())
        .setMaxWeight(c.maxWeight())
        .setRounding(c.rounding().name().toLowerCase(Locale.ROOT))
        .setClipNorm(a.clipNorm())
        .setStageTimeoutSeconds(a.stageTimeoutSeconds());
    for (int v : s.neighbours()) b.addNeighbours(v);
    return b.build();
  }

  /** Bytes per masked word: {@code ceil(modulusBits / 8)}. */
  static int wordBytes(SecAggConfig config) {
    return (config.modulusBits() + 7) / 8;
  }

  /** The declared size a stage-3 masked vector must have. */
  static long maskedBytes(SecAggConfig config) {
    return (long) (config.length() + 1) * wordBytes(config);
  }

  /**
   * Checks a header for its stage's fields and, for stage 3, the declared size.
   *
   * @throws InvalidRequestException with code {@code SECAGG_BAD_HEADER} naming what is wrong
   */
  static void checkHeader(SecAggSubmitHeader h, SecAggConfig config) {
    SecAggStage stage = h.getStage();
    boolean keys = !h.getEncryptionKey().isEmpty() || !h.getMaskingKey().isEmpty();
    boolean shares = h.getSharesCount() > 0;
    boolean revealed = h.getSelfMaskSharesCount() > 0 || h.getSecretKeySharesCount() > 0;
    boolean masked = h.getMaskedSize() != 0;
    switch (stage) {
      case SECAGG_STAGE_ADVERTISE_KEYS -> {
        require(keys && !shares && !revealed && !masked, stage, "carries the two public keys and nothing else");
        require(h.getExamples() >= 1, stage, "reports the node's training examples, at least 1, got " + h.getExamples());
      }
      case SECAGG_STAGE_SHARE_KEYS -> require(!keys && !revealed && !masked && h.getSharesCount() <= MAX_SHARES, stage,
          "carries at most " + MAX_SHARES + " sealed shares and nothing else");
      case SECAGG_STAGE_MASKED_INPUT -> {
        require(!keys && !shares && !revealed, stage, "carries only the masked vector's size");
        long expected = maskedBytes(config);
        if (h.getMaskedSize() != expected) {
          throw new InvalidRequestException(
              "SECAGG_BAD_SIZE",
              "the masked vector declares " + h.getMaskedSize() + " bytes but this round sums " + (config.length() + 1) + " words of " + wordBytes(config)
                  + " bytes (" + expected + " bytes)",
              Map.of("expected", expected, "actual", h.getMaskedSize()));
        }
      }
      case SECAGG_STAGE_UNMASKING -> require(!keys && !shares && !masked
          && h.getSelfMaskSharesCount() <= config.clients() && h.getSecretKeySharesCount() <= config.clients(), stage,
          "carries the revealed shares asked for and nothing else");
      default -> throw new InvalidRequestException("SECAGG_BAD_HEADER", "a SecAgg+ submission names its stage (1 to 4), got " + stage);
    }
    if (h.getExamples() != 0 && stage != SecAggStage.SECAGG_STAGE_ADVERTISE_KEYS) {
      throw new InvalidRequestException("SECAGG_BAD_HEADER", "examples are reported with stage 1 (the keys) only");
    }
  }

  private static void require(boolean ok, SecAggStage stage, String rule) {
    if (!ok) throw new InvalidRequestException("SECAGG_BAD_HEADER", "a SecAgg+ " + stage + " submission " + rule, Map.of("stage", stage.name()));
  }

  /** The core message of a checked header, with the stage-3 vector decoded from {@code masked}. */
  static FromClient fromClient(SecAggSubmitHeader h, byte[] masked, SecAggConfig config) {
    int node = h.getNode();
    return switch (h.getStage()) {
      case SECAGG_STAGE_ADVERTISE_KEYS -> new SecAggMessage.AdvertiseKeys(node, h.getEncryptionKey().toByteArray(), h.getMaskingKey().toByteArray());
      case SECAGG_STAGE_SHARE_KEYS -> new SecAggMessage.ShareKeys(node, h.getSharesList().stream()
          .map(s -> new SecAggMessage.EncryptedShare(s.getSender(), s.getReceiver(), s.getCiphertext().toByteArray())).toList());
      case SECAGG_STAGE_MASKED_INPUT -> new SecAggMessage.MaskedInput(node, words(masked, wordBytes(config)));
      default -> new SecAggMessage.UnmaskResponse(node, revealed(h.getSelfMaskSharesList()), revealed(h.getSecretKeySharesList()));
    };
  }

  private static List<SecAggMessage.RevealedShare> revealed(List<SecAggRevealedShare> shares) {
    return shares.stream().map(s -> new SecAggMessage.RevealedShare(s.getOwner(), s.getX(), s.getValue().toByteArray())).toList();
  }

  /** Little-endian words of {@code width} bytes. */
  static long[] words(byte[] bytes, int width) {
    long[] out = new long[bytes.length / width];
    for (int i = 0; i < out.length; i++) {
      long v = 0;
      for (int j = width - 1; j >= 0; j--) v = (v << 8) | (bytes[i * width + j] & 0xFF);
      out[i] = v;
    }
    return out;
  }

  static SecAggAwaitResponse toProto(FromServer m, long serverTimeMs) {
    var b = SecAggAwaitResponse.newBuilder();
    switch (m) {
      case null -> b.setPending(NoTask.newBuilder().setServerTimeMs(serverTimeMs));
      case SecAggMessage.NeighbourKeys k -> {
        var keys = SecAggNeighbourKeys.newBuilder();
        for (var a : k.neighbours()) {
          keys.addKeys(SecAggKeys.newBuilder().setNode(a.node()).setEncryptionKey(ByteString.copyFrom(a.encryptionKey())).setMaskingKey(ByteString.copyFrom(a.maskingKey())));
        }
        b.setNeighbourKeys(keys);
      }
      case SecAggMessage.ForwardedShares f -> {
        var shares = SecAggForwardedShares.newBuilder();
        for (var s : f.shares()) shares.addShares(share(s));
        b.setForwardedShares(shares);
      }
      case SecAggMessage.UnmaskRequest r -> b.setUnmaskRequest(SecAggUnmaskRequest.newBuilder()
          .addAllSelfMaskOf(Arrays.stream(r.selfMaskOf()).boxed().toList())
          .addAllSecretKeyOf(Arrays.stream(r.secretKeyOf()).boxed().toList()));
      case SecAggMessage.Setup s -> throw new IllegalStateException("the setup travels with the task, not through SecAggAwait");
    }
    return b.build();
  }

  private static SecAggShare share(SecAggMessage.EncryptedShare s) {
    return SecAggShare.newBuilder().setSender(s.sender()).setReceiver(s.receiver()).setCiphertext(ByteString.copyFrom(s.ciphertext())).build();
  }
}
