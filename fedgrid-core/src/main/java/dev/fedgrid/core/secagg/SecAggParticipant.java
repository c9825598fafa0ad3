package dev.fedgrid.core.secagg;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.core.dp.Clipping;
import dev.fedgrid.core.secagg.SecAggMessage.AdvertiseKeys;
import dev.fedgrid.core.secagg.SecAggMessage.ForwardedShares;
import dev.fedgrid.core.secagg.SecAggMessage.FromClient;
import dev.fedgrid.core.secagg.SecAggMessage.FromServer;
import dev.fedgrid.core.secagg.SecAggMessage.NeighbourKeys;
import dev.fedgrid.core.secagg.SecAggMessage.UnmaskRequest;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Objects;

/**
 * A node's side of one SecAgg+ round, after it trained: prepares its input (the difference from the
 * global model, clipped for DP-FedAvg, weighted by its examples otherwise) and walks a {@link
 * SecAggClient} through stages 1 to 4 over any {@link Channel}. The one copy of the node's protocol
 * steps, shared by the node daemon (over the gRPC fleet API) and the simulator (in memory).
 *
 * <p>Stateless; each {@link #run} call is one round, driven by one thread.
 */
public final class SecAggParticipant {
  private SecAggParticipant() {}

  /** How the node's messages reach the round and the round's answers come back. */
  public interface Channel {
    /**
     * Hands in one message of the node.
     *
     * @param examples with stage 1's {@link AdvertiseKeys}, the node's training examples, sent in
     *     the clear (dataset sizes are catalogued) so that the gateway can meter contributions; 0
     *     with the other stages
     */
    void send(FromClient message, long examples) throws Exception;

    /**
     * Waits for the round's next message to this node, the answer to stage {@code closed}. Throws
     * when the round was abandoned or the node was counted out.
     */
    FromServer receive(SecAggStage closed) throws Exception;
  }

  /** Called before each message is sent; lets a test stop a node at an exact stage. */
  @FunctionalInterface
  public interface StageHook {
    void beforeSending(SecAggStage stage) throws Exception;

    StageHook NONE = stage -> {};
  }

  /**
   * A prepared input.
   *
   * @param values the difference (clipped to {@code C} for DP-FedAvg), before quantization
   * @param weight the examples, or 1 for DP-FedAvg
   * @param examples the examples the node trained on, stated in the clear with stage 1
   * @param saturated how many values lie outside {@code [-range, range]} and will be clipped to it
   */
  public record Input(float[] values, long weight, long examples, int saturated) {}

  /**
   * The input a node sends: {@code local - global}, clipped to L2 norm {@code C} for DP-FedAvg.
   *
   * @throws InvalidRequestException with code {@code SHAPE_MISMATCH} when the lengths differ, or
   *     {@code SECAGG_BAD_INPUT} when the weight exceeds the round's {@code maxWeight} (the node
   *     holds more examples than its dataset's catalogue entry says)
   */
  public static Input prepare(SecAggAssignment assignment, float[] local, float[] global, long examples) {
    Objects.requireNonNull(assignment, "assignment");
    SecAggConfig config = assignment.setup().config();
    float[] delta = Clipping.difference(local, global);
    if (assignment.clipped()) Clipping.clipToNorm(delta, assignment.clipNorm());
    long weight = assignment.clipped() ? 1 : examples;
    if (weight < 1 || weight > config.maxWeight()) {
      throw new InvalidRequestException(
          "SECAGG_BAD_INPUT",
          "this node trained on " + examples + " examples but the round accepts weights of 1 to " + config.maxWeight()
              + " (the largest catalogued row count); re-register the dataset with its current size",
          Map.of("examples", examples, "maxWeight", config.maxWeight()));
    }
    int saturated = 0;
    float range = config.clip();
    for (float v : delta) if (v > range || v < -range) saturated++;
    return new Input(delta, weight, examples, saturated);
  }

  /**
   * Runs stages 1 to 4 for the node. It lets go of the input once masked and of the masked vector
   * once sent, before it waits for stage 4, so a caller that keeps no reference of its own to the
   * input holds no vector of {@code d} values while it waits for stage 4. The simulator runs every
   * node of a round in one JVM, on virtual threads that park while they wait, and a parked thread's
   * frames are scanned as they are (an interpreted frame can keep a dead local reachable): 300 nodes at
   * d = 101,770 kept up to 359 MB that way (1.2 MB each, input and masked vector), which at 10,000
   * nodes comes to 12 GB.
   *
   * @throws Exception whatever the channel, the hook or the client throws; the node then stops
   *     taking part, which the round treats as a drop-out
   */
  public static void run(SecAggAssignment assignment, Input input, Channel channel, SecureRandom random, StageHook hook) throws Exception {
    long examples = input.examples();
    var client = new SecAggClient(assignment.setup(), random);
    hook.beforeSending(SecAggStage.ADVERTISE_KEYS);
    channel.send(client.advertiseKeys(), examples);
    NeighbourKeys keys = expect(channel.receive(SecAggStage.ADVERTISE_KEYS), NeighbourKeys.class);
    var shares = client.shareKeys(keys);
    hook.beforeSending(SecAggStage.SHARE_KEYS);
    channel.send(shares, 0);
    ForwardedShares forwarded = expect(channel.receive(SecAggStage.SHARE_KEYS), ForwardedShares.class);
    var masked = client.maskInput(forwarded, input.values(), input.weight());
    input = null;
    hook.beforeSending(SecAggStage.MASKED_INPUT);
    channel.send(masked, 0);
    masked = null;
    UnmaskRequest request = expect(channel.receive(SecAggStage.MASKED_INPUT), UnmaskRequest.class);
    var response = client.unmask(request);
    hook.beforeSending(SecAggStage.UNMASKING);
    channel.send(response, 0);
  }

  private static <T extends FromServer> T expect(FromServer message, Class<T> type) {
    if (!type.isInstance(message)) {
      throw new InvalidRequestException(
          "SECAGG_BAD_MESSAGE", "expected " + type.getSimpleName() + " from the gateway but got " + (message == null ? "nothing" : message.getClass().getSimpleName()));
    }
    return type.cast(message);
  }
}
