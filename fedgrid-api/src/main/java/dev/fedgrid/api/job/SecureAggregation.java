package dev.fedgrid.api.job;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.privacy.DifferentialPrivacy;
import dev.fedgrid.api.privacy.PrivacyMode;
import dev.fedgrid.api.strategy.StrategyConfig;
import java.util.List;
import java.util.Map;

/**
 * Secure aggregation for a job: the gateway learns only the sum of each round's updates, never one
 * node's (SecAgg+, Bell et al. CCS 2020; with {@code neighbours = n - 1} Bonawitz et al. CCS 2017).
 * Nodes send their difference from the global model, clipped to {@code [-range, range]} per value,
 * quantized to {@code quantizationBits} bits, weighted by their examples and masked. In JSON, for
 * example {@code {"protocol": "secagg+", "neighbours": 4, "threshold": 3}}; fields left out take the
 * defaults below.
 *
 * <p>Works with the strategies that need only the weighted mean of the updates ({@link #SUPPORTED}),
 * and with central DP-FedAvg with fixed clipping (nodes clip their difference to the clip norm, the
 * gateway noises the unmasked sum). The robust strategies and asynchronous ones need individual
 * updates and are refused, as is adaptive clipping, which needs each update's norm.
 *
 * @param protocol {@code "secagg+"}, the only protocol (default)
 * @param neighbours {@code k}, each node's neighbours in the round's key-agreement graph, 1 to 254;
 *     default {@code null}: chosen per round from the number of participants {@code n} (about
 *     {@code 2 log2 n}, the complete graph for small {@code n}). Raised by one in a round where
 *     {@code n k} is odd, since no k-regular graph on n nodes exists then
 * @param threshold {@code t}, shares needed to reconstruct a node's secrets and the fewest inputs a
 *     sum may hold, 2 to {@code k + 1}; default {@code null}: a strict majority of {@code k + 1}
 * @param range values of the differences are clipped to {@code [-range, range]} before quantization
 *     (in (0, 1e6]); default 1, or the clip norm with central differential privacy, whose clipped
 *     differences never exceed it
 * @param quantizationBits bits per quantized value, 1 to 32 (default 16: an error of at most {@code
 *     range / 65535} per value)
 * @param stageTimeoutSeconds the deadline of each of the crypto-only stages 2 to 4, counted from the
 *     stage's start (stage 1 runs after training and shares the round's fit deadline), 1 to 3600
 *     (default 60)
 */
public record SecureAggregation(String protocol, Integer neighbours, Integer threshold, Double range, Integer quantizationBits, Integer stageTimeoutSeconds) {
  /** The only protocol. */
  public static final String SECAGG_PLUS = "secagg+";
  /** The default of {@link #range()} without central differential privacy. */
  public static final double DEFAULT_RANGE = 1.0;
  /** The default of {@link #quantizationBits()}. */
  public static final int DEFAULT_QUANTIZATION_BITS = 16;
  /** The default of {@link #stageTimeoutSeconds()}. */
  public static final int DEFAULT_STAGE_TIMEOUT_SECONDS = 60;
  /** The most neighbours: Shamir sharing over GF(2^8) has at most 255 holders (a node and 254 neighbours). */
  public static final int MAX_NEIGHBOURS = 254;
  /** The strategies that can aggregate a secure sum, by name. */
  public static final List<String> SUPPORTED = List.of("fedavg", "fedprox", "fedavgm", "fedadagrad", "fedadam", "fedyogi");

  public SecureAggregation {
    protocol = protocol == null ? SECAGG_PLUS : protocol.strip().toLowerCase(java.util.Locale.ROOT);
    if (!protocol.equals(SECAGG_PLUS)) {
      invalid("secure aggregation protocol '" + protocol + "' is unknown; the only one is " + SECAGG_PLUS, "protocol", protocol);
    }
    if (neighbours != null && (neighbours < 1 || neighbours > MAX_NEIGHBOURS)) {
      invalid("neighbours must be in [1, " + MAX_NEIGHBOURS + "], got " + neighbours + " (leave it out for about 2 log2 n)", "neighbours", neighbours);
    }
    if (threshold != null && threshold < 2) {
      invalid("threshold must be at least 2, got " + threshold + " (one share alone would reveal a secret)", "threshold", threshold);
    }
    if (threshold != null && neighbours != null && threshold > neighbours + 1) {
      invalid("threshold " + threshold + " exceeds neighbours + 1 = " + (neighbours + 1) + ", the holders of each node's shares; lower --threshold or raise --neighbours",
          "threshold", threshold);
    }
    if (range != null && !(range > 0 && range <= 1e6)) invalid("range must be in (0, 1e6], got " + range, "range", range);
    quantizationBits = quantizationBits == null ? DEFAULT_QUANTIZATION_BITS : quantizationBits;
    if (quantizationBits < 1 || quantizationBits > 32) invalid("quantizationBits must be in [1, 32], got " + quantizationBits, "quantizationBits", quantizationBits);
    stageTimeoutSeconds = stageTimeoutSeconds == null ? DEFAULT_STAGE_TIMEOUT_SECONDS : stageTimeoutSeconds;
    if (stageTimeoutSeconds < 1 || stageTimeoutSeconds > 3600) {
      invalid("stageTimeoutSeconds must be in [1, 3600], got " + stageTimeoutSeconds, "stageTimeoutSeconds", stageTimeoutSeconds);
    }
  }

  /** SecAgg+ with every default. */
  public static SecureAggregation secAggPlus() {
    return new SecureAggregation(null, null, null, null, null, null);
  }

  /** This setting with its range filled in: as given, else the clip norm with central DP, else {@value #DEFAULT_RANGE}. */
  SecureAggregation resolved(DifferentialPrivacy privacy) {
    if (range != null) return this;
    double r = privacy != null && privacy.mode() == PrivacyMode.CENTRAL ? privacy.clipNorm() : DEFAULT_RANGE;
    return new SecureAggregation(protocol, neighbours, threshold, r, quantizationBits, stageTimeoutSeconds);
  }

  /**
   * Checks that a job's other settings can run with secure aggregation.
   *
   * @throws InvalidRequestException with code {@code SECURE_AGGREGATION_UNSUPPORTED_STRATEGY} for a
   *     strategy that needs individual updates, {@code SECURE_AGGREGATION_UNSUPPORTED_PRIVACY} for
   *     adaptive clipping, or {@code INVALID_SECURE_AGGREGATION} when {@code minNodes} is too small
   *     for the protocol
   */
  void check(StrategyConfig strategy, DifferentialPrivacy privacy, int minNodes) {
    if (!SUPPORTED.contains(strategy.name())) {
      throw new InvalidRequestException(
          "SECURE_AGGREGATION_UNSUPPORTED_STRATEGY",
          "secure aggregation releases only the sum of the updates, but " + strategy.name() + " needs every individual update; use one of "
              + String.join(", ", SUPPORTED) + ", or leave out --secure-aggregation",
          Map.of("strategy", strategy.name(), "supported", SUPPORTED));
    }
    if (privacy != null && privacy.mode() == PrivacyMode.CENTRAL && privacy.adaptiveClipping()) {
      throw new InvalidRequestException(
          "SECURE_AGGREGATION_UNSUPPORTED_PRIVACY",
          "adaptive clipping counts how many updates were within the clip norm, which needs each update's norm and so cannot run under secure "
              + "aggregation; use fixed clipping (leave out --dp-adaptive) or leave out --secure-aggregation",
          Map.of("adaptiveClipping", true));
    }
    if (minNodes < 2) {
      invalid("secure aggregation needs at least 2 nodes per round (a sum of one is that node's update), but minNodes is " + minNodes + "; raise --min-nodes",
          "minNodes", minNodes);
    }
    if (neighbours != null && neighbours > minNodes - 1) {
      invalid("neighbours " + neighbours + " needs rounds of at least " + (neighbours + 1) + " nodes, but minNodes is " + minNodes + " so a round may have only "
          + minNodes + "; raise --min-nodes to " + (neighbours + 1) + " or lower --neighbours", "neighbours", neighbours);
    }
    if (threshold != null && threshold > minNodes) {
      invalid("threshold " + threshold + " needs at least " + threshold + " nodes to finish a round, but minNodes is " + minNodes + "; raise --min-nodes or lower --threshold",
          "threshold", threshold);
    }
  }

  private static void invalid(String message, String field, Object value) {
    throw new InvalidRequestException("INVALID_SECURE_AGGREGATION", message, Map.of("field", field, "value", String.valueOf(value)));
  }
}
