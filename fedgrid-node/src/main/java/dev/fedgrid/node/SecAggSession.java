package dev.fedgrid.node;

import com.google.protobuf.ByteString;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.core.secagg.SecAggAssignment;
import dev.fedgrid.core.secagg.SecAggConfig;
import dev.fedgrid.core.secagg.SecAggMessage;
import dev.fedgrid.core.secagg.SecAggParticipant;
import dev.fedgrid.core.secagg.SecAggStage;
import dev.fedgrid.proto.fleet.v1.SecAggAwaitResponse;
import dev.fedgrid.proto.fleet.v1.SecAggRevealedShare;
import dev.fedgrid.proto.fleet.v1.SecAggSetup;
import dev.fedgrid.proto.fleet.v1.SecAggShare;
import dev.fedgrid.proto.fleet.v1.SecAggSubmitHeader;
import dev.fedgrid.proto.fleet.v1.Task;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's side of a fit task under secure aggregation, after training: turns the task's {@link
 * SecAggSetup} into core's {@link SecAggAssignment}, and runs core's {@link SecAggParticipant} (the
 * same protocol steps as the simulator's virtual nodes) over the fleet API's {@code SecAggSubmit}
 * and {@code SecAggAwait}. Only masked values and key material leave the node; the update in the
 * clear never does.
 *
 * <p>Values of the difference outside {@code [-range, range]} saturate; the node counts them and
 * logs the count (a count, not values), so an operator can widen {@code --secagg-range}.
 *
 * <p><b>Test-only fault injection</b>: when the environment variable {@value #EXIT_BEFORE_ENV} (or
 * the system property {@value #EXIT_BEFORE_PROPERTY}) names a stage ({@code ADVERTISE_KEYS}, {@code
 * SHARE_KEYS}, {@code MASKED_INPUT} or {@code UNMASKING}), the node process halts at once, like a
 * {@code kill -9}, just before sending that stage's message. Nothing but the end-to-end tests sets
 * it; it exists so a test can kill a node at an exact protocol stage.
 *
 * <p>Thread-safe: each call runs one task on the calling thread.
 */
final class SecAggSession {
  private static final Logger LOG = LoggerFactory.getLogger(SecAggSession.class);
  static final String EXIT_BEFORE_ENV = "FEDGRID_TEST_SECAGG_EXIT_BEFORE";
  static final String EXIT_BEFORE_PROPERTY = "fedgrid.test.secaggExitBefore";
  private static final Duration AWAIT_WAIT = Duration.ofSeconds(20);

  private final GatewayClient client;
  private final InstantSource clock;
  private final SecureRandom random = new SecureRandom();
  private final SecAggStage exitBefore;

  SecAggSession(GatewayClient client, InstantSource clock) {
    this.client = client;
    this.clock = clock;
    String stage = System.getProperty(EXIT_BEFORE_PROPERTY, System.getenv(EXIT_BEFORE_ENV));
    this.exitBefore = stage == null || stage.isBlank() ? null : SecAggStage.valueOf(stage.strip().toUpperCase(Locale.ROOT));
    if (exitBefore != null) LOG.warn("TEST-ONLY fault injection: this node halts before sending SecAgg+ {}", exitBefore);
  }

  /**
   * The task's SecAgg+ assignment.
   *
   * @throws InvalidRequestException when the setup is not a valid SecAgg+ configuration
   */
  static SecAggAssignment assignment(SecAggSetup s) {
    SecAggConfig.Rounding rounding = switch (s.getRounding()) {
      case "nearest" -> SecAggConfig.Rounding.NEAREST;
      case "stochastic" -> SecAggConfig.Rounding.STOCHASTIC;
      default -> throw new InvalidRequestException("SECAGG_BAD_MESSAGE", "the SecAgg+ setup names rounding '" + s.getRounding() + "'; expected nearest or stochastic");
    };
    var config = new SecAggConfig(s.getClients(), s.getNeighbourCount(), s.getThreshold(), s.getModulusBits(), s.getQuantizationBits(), s.getClip(), s.getLength(),
        s.getMaxWeight(), rounding);
    int[] neighbours = s.getNeighboursList().stream().mapToInt(Integer::intValue).toArray();
    if (s.getStageTimeoutSeconds() < 1 || !(s.getClipNorm() >= 0)) throw new InvalidRequestException("SECAGG_BAD_MESSAGE", "the SecAgg+ setup's stage time-out or clip norm is invalid");
    return new SecAggAssignment(new SecAggMessage.Setup(s.getSession(), config, s.getNode(), neighbours), s.getClipNorm(), s.getStageTimeoutSeconds());
  }

  /**
   * Sends the node's trained parameters through SecAgg+.
   *
   * @param local the trained parameters (after local DP, if any)
   * @return a summary for the log
   */
  String run(Task task, SecAggAssignment assignment, float[] local, float[] global, long examples, Instant fitDeadline, String ids) throws Exception {
    SecAggParticipant.Input input = SecAggParticipant.prepare(assignment, local, global, examples);
    if (input.saturated() > 0) {
      LOG.warn("{}: {} of {} values of the update lie outside the SecAgg+ range [-{}, {}] and saturate; widen --secagg-range if this persists", ids,
          input.saturated(), input.values().length, assignment.setup().config().clip(), assignment.setup().config().clip());
    }
    Duration stageTimeout = Duration.ofSeconds(assignment.stageTimeoutSeconds());
    int width = (assignment.setup().config().modulusBits() + 7) / 8;
    var channel = new SecAggParticipant.Channel() {
      Instant deadline = fitDeadline;

      @Override
      public void send(SecAggMessage.FromClient message, long ex) throws Exception {
        var h = SecAggSubmitHeader.newBuilder().setTaskId(task.getTaskId()).setNode(message.node());
        byte[] masked = null;
        switch (message) {
          case SecAggMessage.AdvertiseKeys k -> h.setStage(dev.fedgrid.proto.fleet.v1.SecAggStage.SECAGG_STAGE_ADVERTISE_KEYS).setExamples(ex)
              .setEncryptionKey(ByteString.copyFrom(k.encryptionKey())).setMaskingKey(ByteString.copyFrom(k.maskingKey()));
          case SecAggMessage.ShareKeys k -> {
            h.setStage(dev.fedgrid.proto.fleet.v1.SecAggStage.SECAGG_STAGE_SHARE_KEYS);
            for (var s : k.shares()) h.addShares(share(s));
          }
          case SecAggMessage.MaskedInput m -> {
            masked = bytes(m.masked(), width);
            h.setStage(dev.fedgrid.proto.fleet.v1.SecAggStage.SECAGG_STAGE_MASKED_INPUT).setMaskedSize(masked.length);
          }
          case SecAggMessage.UnmaskResponse u -> h.setStage(dev.fedgrid.proto.fleet.v1.SecAggStage.SECAGG_STAGE_UNMASKING)
              .addAllSelfMaskShares(revealed(u.selfMaskShares())).addAllSecretKeyShares(revealed(u.secretKeyShares()));
        }
        client.secAggSubmit(h.build(), masked, deadline);
        deadline = clock.instant().plus(stageTimeout).plus(stageTimeout); // the next stage's answer comes within its time-out
      }

      @Override
      public SecAggMessage.FromServer receive(SecAggStage closed) {
        int node = assignment.setup().node();
        while (true) {
          SecAggAwaitResponse r = client.secAggAwait(task.getTaskId(), AWAIT_WAIT);
          switch (r.getResultCase()) {
            case NEIGHBOUR_KEYS -> {
              return new SecAggMessage.NeighbourKeys(node, r.getNeighbourKeys().getKeysList().stream()
                  .map(k -> new SecAggMessage.AdvertiseKeys(k.getNode(), k.getEncryptionKey().toByteArray(), k.getMaskingKey().toByteArray())).toList());
            }
            case FORWARDED_SHARES -> {
              return new SecAggMessage.ForwardedShares(node, r.getForwardedShares().getSharesList().stream()
                  .map(s -> new SecAggMessage.EncryptedShare(s.getSender(), s.getReceiver(), s.getCiphertext().toByteArray())).toList());
            }
            case UNMASK_REQUEST -> {
              return new SecAggMessage.UnmaskRequest(node, r.getUnmaskRequest().getSelfMaskOfList().stream().mapToInt(Integer::intValue).toArray(),
                  r.getUnmaskRequest().getSecretKeyOfList().stream().mapToInt(Integer::intValue).toArray());
            }
            default -> {
              if (Thread.currentThread().isInterrupted()) throw new IllegalStateException("the node is shutting down");
            }
          }
        }
      }
    };
    SecAggParticipant.run(assignment, input, channel, random, stage -> {
      LOG.info("{}: SecAgg+ sending {}", ids, stage);
      if (stage == exitBefore) {
        LOG.warn("{}: TEST-ONLY fault injection: halting before SecAgg+ {}", ids, stage);
        Runtime.getRuntime().halt(137);
      }
    });
    return examples + " examples sent through SecAgg+ (" + input.values().length + " values, " + input.saturated() + " saturated)";
  }

  private static SecAggShare share(SecAggMessage.EncryptedShare s) {
    return SecAggShare.newBuilder().setSender(s.sender()).setReceiver(s.receiver()).setCiphertext(ByteString.copyFrom(s.ciphertext())).build();
  }

  private static List<SecAggRevealedShare> revealed(List<SecAggMessage.RevealedShare> shares) {
    return shares.stream().map(s -> SecAggRevealedShare.newBuilder().setOwner(s.owner()).setX(s.x()).setValue(ByteString.copyFrom(s.value())).build()).toList();
  }

  /** Little-endian words of {@code width} bytes. */
  static byte[] bytes(long[] words, int width) {
    byte[] out = new byte[words.length * width];
    for (int i = 0; i < words.length; i++) {
      long v = words[i];
      for (int j = 0; j < width; j++) {
        out[i * width + j] = (byte) v;
        v >>>= 8;
      }
    }
    return out;
  }
}
