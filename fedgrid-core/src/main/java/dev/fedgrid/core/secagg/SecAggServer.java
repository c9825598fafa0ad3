package dev.fedgrid.core.secagg;

import static dev.fedgrid.core.secagg.Crypto.KEY_BYTES;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.core.secagg.SecAggMessage.AdvertiseKeys;
import dev.fedgrid.core.secagg.SecAggMessage.EncryptedShare;
import dev.fedgrid.core.secagg.SecAggMessage.ForwardedShares;
import dev.fedgrid.core.secagg.SecAggMessage.FromClient;
import dev.fedgrid.core.secagg.SecAggMessage.MaskedInput;
import dev.fedgrid.core.secagg.SecAggMessage.NeighbourKeys;
import dev.fedgrid.core.secagg.SecAggMessage.RevealedShare;
import dev.fedgrid.core.secagg.SecAggMessage.Setup;
import dev.fedgrid.core.secagg.SecAggMessage.ShareKeys;
import dev.fedgrid.core.secagg.SecAggMessage.UnmaskRequest;
import dev.fedgrid.core.secagg.SecAggMessage.UnmaskResponse;
import java.nio.ByteBuffer;
import java.security.InvalidKeyException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The server's side of one SecAgg+ round: collects each stage's messages, decides who survived,
 * forwards keys and sealed shares, asks survivors for exactly the shares it needs, and releases the
 * sum of the survivors' weighted quantized inputs, nothing else.
 *
 * <h2>Protocol</h2>
 *
 * SecAgg+ in the semi-honest setting (Bell, Bonawitz, Gascón, Lepoint, Raykova, "Secure
 * Single-Server Aggregation with (Poly)Logarithmic Overhead", CCS 2020), which with {@code k = n - 1}
 * is the protocol of Bonawitz et al., "Practical Secure Aggregation for Privacy-Preserving Machine
 * Learning", CCS 2017. {@code U1 ⊇ U2 ⊇ U3 ⊇ U5} are the clients that completed stages 1 to 4; the
 * driver decides when a stage ends (its time-out) by calling the stage's {@code close} method, and
 * whoever has not answered by then has dropped.
 *
 * <ol>
 *   <li>{@link #setup}: draws a random k-regular graph (the Harary graph under a random relabelling)
 *       and a session id.
 *   <li>Stage 1, {@link AdvertiseKeys}: client u sends X25519 public keys {@code c_u} (share
 *       encryption) and {@code s_u} (masking). {@link #closeAdvertiseKeys} checks {@code |U1| >= t},
 *       that all keys differ, and that every u has at least t - 1 live neighbours, and sends each its
 *       live neighbours' keys.
 *   <li>Stage 2, {@link ShareKeys}: u Shamir-shares (threshold t, GF(2^8)) its self-mask seed {@code
 *       b_u} and masking private key {@code s_u^SK} among itself and its live neighbours, and seals
 *       each neighbour's pair of shares with AES-GCM under {@code HKDF(X25519(c_u, c_v))}, with sender,
 *       receiver and session as associated data. {@link #closeShareKeys} checks {@code |U2| >= t} and
 *       forwards to each survivor the shares addressed to it by other survivors.
 *   <li>Stage 3, {@link MaskedInput}: u sends {@code y_u = x_u + PRG(b_u) + Σ_{v ∈ N(u) ∩ U2, u < v}
 *       PRG(s_uv) - Σ_{v ∈ N(u) ∩ U2, u > v} PRG(s_uv) mod 2^b}, with {@code s_uv = HKDF(X25519(s_u,
 *       s_v))} and PRG AES-128-CTR. The server adds each {@code y_u} into one running sum on arrival;
 *       it never keeps an individual vector. {@link #closeMaskedInput} checks {@code |U3| >= t} and
 *       that every secret it will need still has t holders in U3, and asks each survivor u for the
 *       self-mask shares of {@code ({u} ∪ N(u)) ∩ U3} and the masking-key shares of {@code N(u) ∩ (U2
 *       \ U3)}: for every node either one or the other, never both.
 *   <li>Stage 4, {@link UnmaskResponse}: {@link #finish} checks {@code |U5| >= t}, reconstructs each
 *       {@code b_u} (u ∈ U3) and subtracts {@code PRG(b_u)}, reconstructs each dropped {@code s_v^SK}
 *       (checking it against the advertised {@code s_v}) and removes the pairwise masks its surviving
 *       neighbours added, which leaves {@code Σ_{u ∈ U3} x_u}: pairwise masks between survivors cancel.
 * </ol>
 *
 * <p>Failures are clean: a message that breaks the protocol (unknown node or neighbour, wrong
 * length, value outside the modulus, a message of a stage not yet open, a repeated message) or too
 * few survivors abandons the round ({@link SecAggStage#FAILED}); the running sum is discarded and
 * every later call fails with {@code SECAGG_ROUND_FAILED}. A message that arrives after its stage
 * closed, or from a client that had already dropped, is refused with {@code SECAGG_LATE_MESSAGE} and
 * the round goes on without it.
 *
 * <h2>Cost</h2>
 *
 * With n clients, degree k, d values and m = |U2 \ U3| drop-outs at stage 3: stage 3 adds n vectors,
 * {@code O(n d)}; {@link #finish} does {@code O((n + k) t^2)} share interpolation, {@code m k} X25519
 * agreements and expands {@code |U3| + m k} masks of {@code d + 1} words, {@code O((n + m k) d)}.
 * Memory: one running sum of {@code d + 1} longs plus {@code O(n k)} keys and shares.
 *
 * <p>Thread-safe: every method is synchronized, so a transport may deliver messages from many
 * threads.
 */
public final class SecAggServer {
  private final SecAggConfig config;
  private final SecureRandom random;
  private final Quantizer quantizer;
  private final String session;
  private int[][] graph;
  private SecAggStage stage = SecAggStage.SETUP;
  private FedGridException failure;

  private final byte[][] encryptionKeys;
  private final byte[][] maskingKeys;
  private final BitSet advertised = new BitSet();
  private final BitSet shared = new BitSet();
  private final BitSet masked = new BitSet();
  private final BitSet answered = new BitSet();
  private List<List<EncryptedShare>> inbox;
  private long[] sum;
  private int[][] askedSelfMask;
  private int[][] askedSecretKey;
  /** Revealed shares by owner, then by x-coordinate. */
  private final Map<Integer, TreeMap<Integer, byte[]>> seedShares = new HashMap<>();
  private final Map<Integer, TreeMap<Integer, byte[]>> keyShares = new HashMap<>();

  /**
   * A server for one round.
   *
   * @param config the round's parameters
   * @param random the source of the graph and the session id
   */
  public SecAggServer(SecAggConfig config, SecureRandom random) {
    this.config = Objects.requireNonNull(config, "config");
    this.random = Objects.requireNonNull(random, "random");
    this.quantizer = new Quantizer(config);
    byte[] id = new byte[16];
    random.nextBytes(id);
    this.session = HexFormat.of().formatHex(id);
    this.encryptionKeys = new byte[config.clients()][];
    this.maskingKeys = new byte[config.clients()][];
  }

  /** The round's random session id, which every key and share of the round is bound to. */
  public String session() {
    return session;
  }

  /** The round's parameters. */
  public SecAggConfig config() {
    return config;
  }

  /** The stage the server is in: the one whose messages it accepts now. */
  public synchronized SecAggStage stage() {
    return stage;
  }

  /**
   * Stage 0: draws the graph and opens stage 1.
   *
   * @return one message per client, client {@code i} at index {@code i}
   */
  public synchronized List<Setup> setup() {
    requireStage(SecAggStage.SETUP, "set up");
    graph = Graphs.randomHarary(config.clients(), config.neighbours(), random);
    List<Setup> out = new ArrayList<>(config.clients());
    for (int u = 0; u < config.clients(); u++) out.add(new Setup(session, config, u, graph[u].clone()));
    stage = SecAggStage.ADVERTISE_KEYS;
    return out;
  }

  /**
   * Accepts one client message of the open stage.
   *
   * @throws InvalidRequestException with code {@code SECAGG_BAD_MESSAGE} when the message breaks the
   *     protocol; the round is abandoned
   * @throws ConflictException with code {@code SECAGG_LATE_MESSAGE} when the message's stage has
   *     closed or its sender dropped earlier (the round goes on), {@code SECAGG_OUT_OF_ORDER} when
   *     its stage has not opened yet (the round is abandoned), or {@code SECAGG_ROUND_FAILED} when
   *     the round was abandoned earlier
   */
  public synchronized void receive(FromClient message) {
    Objects.requireNonNull(message, "message");
    requireNotFailed();
    int node = message.node();
    SecAggStage expected = switch (message) {
      case AdvertiseKeys m -> SecAggStage.ADVERTISE_KEYS;
      case ShareKeys m -> SecAggStage.SHARE_KEYS;
      case MaskedInput m -> SecAggStage.MASKED_INPUT;
      case UnmaskResponse m -> SecAggStage.UNMASKING;
    };
    String kind = message.getClass().getSimpleName();
    if (node < 0 || node >= config.clients()) fail(Failures.badMessage(stage, node, kind + " from unknown node " + node + " (the round has nodes 0.." + (config.clients() - 1) + ")"));
    if (expected.compareTo(stage) > 0) {
      fail(Failures.outOfOrder("SECAGG_OUT_OF_ORDER", stage, node, kind + " belongs to stage " + expected + ", which has not opened; the round is abandoned and no sum is released"));
    }
    if (expected.compareTo(stage) < 0) {
      throw Failures.outOfOrder("SECAGG_LATE_MESSAGE", stage, node, kind + " arrived after stage " + expected + " closed; the node counts as dropped from that stage on");
    }
    BitSet previous = switch (stage) {
      case ADVERTISE_KEYS -> null;
      case SHARE_KEYS -> advertised;
      case MASKED_INPUT -> shared;
      default -> masked;
    };
    if (previous != null && !previous.get(node)) {
      throw Failures.outOfOrder("SECAGG_LATE_MESSAGE", stage, node, kind + " from a node that dropped out before this stage; it is not part of the round any more");
    }
    BitSet done = switch (stage) {
      case ADVERTISE_KEYS -> advertised;
      case SHARE_KEYS -> shared;
      case MASKED_INPUT -> masked;
      default -> answered;
    };
    if (done.get(node)) fail(Failures.badMessage(stage, node, "sent " + kind + " twice"));
    try {
      switch (message) {
        case AdvertiseKeys m -> acceptKeys(m);
        case ShareKeys m -> acceptShares(m);
        case MaskedInput m -> acceptMaskedInput(m);
        case UnmaskResponse m -> acceptUnmasking(m);
      }
    } catch (FedGridException e) {
      fail(e);
    }
    done.set(node);
  }

  /**
   * Ends stage 1: whoever advertised keys goes on.
   *
   * @return for each client that advertised keys, its live neighbours' keys
   * @throws UnavailableException with code {@code SECAGG_TOO_FEW_SURVIVORS} when fewer than t
   *     clients advertised keys or some client has fewer than t - 1 live neighbours
   * @throws InvalidRequestException with code {@code SECAGG_BAD_MESSAGE} when two clients advertised
   *     the same key
   */
  public synchronized List<NeighbourKeys> closeAdvertiseKeys() {
    requireStage(SecAggStage.ADVERTISE_KEYS, "close stage 1");
    requireSurvivors(advertised, "clients advertised keys");
    Map<ByteBuffer, Integer> owners = new HashMap<>();
    for (int u = advertised.nextSetBit(0); u >= 0; u = advertised.nextSetBit(u + 1)) {
      for (byte[] key : List.of(encryptionKeys[u], maskingKeys[u])) {
        Integer other = owners.putIfAbsent(ByteBuffer.wrap(key), u);
        if (other != null) fail(Failures.badMessage(stage, u, "advertised a public key that node " + other + " advertised too"));
      }
    }
    List<NeighbourKeys> out = new ArrayList<>();
    for (int u = advertised.nextSetBit(0); u >= 0; u = advertised.nextSetBit(u + 1)) {
      List<AdvertiseKeys> keys = new ArrayList<>();
      for (int v : graph[u]) {
        if (advertised.get(v)) keys.add(new AdvertiseKeys(v, encryptionKeys[v], maskingKeys[v]));
      }
      requireHolders(u, keys.size() + 1, "the node and its neighbours that advertised keys");
      out.add(new NeighbourKeys(u, keys));
    }
    inbox = new ArrayList<>(config.clients());
    for (int u = 0; u < config.clients(); u++) inbox.add(new ArrayList<>());
    stage = SecAggStage.SHARE_KEYS;
    return out;
  }

  /**
   * Ends stage 2: whoever sent its shares goes on.
   *
   * @return for each client that sent shares, the shares other such clients sealed for it
   * @throws UnavailableException with code {@code SECAGG_TOO_FEW_SURVIVORS} when fewer than t
   *     clients sent shares or some client received shares from fewer than t - 1 neighbours
   */
  public synchronized List<ForwardedShares> closeShareKeys() {
    requireStage(SecAggStage.SHARE_KEYS, "close stage 2");
    requireSurvivors(shared, "clients sent their shares");
    List<ForwardedShares> out = new ArrayList<>();
    for (int u = shared.nextSetBit(0); u >= 0; u = shared.nextSetBit(u + 1)) {
      List<EncryptedShare> forwarded = new ArrayList<>();
      for (EncryptedShare share : inbox.get(u)) {
        if (shared.get(share.sender())) forwarded.add(share);
      }
      forwarded.sort((a, b) -> Integer.compare(a.sender(), b.sender()));
      requireHolders(u, forwarded.size() + 1, "the node and its neighbours that sent shares");
      out.add(new ForwardedShares(u, forwarded));
    }
    inbox = null;
    sum = new long[config.maskedLength()];
    stage = SecAggStage.MASKED_INPUT;
    return out;
  }

  /**
   * Ends stage 3: whoever sent a masked input is in the sum.
   *
   * @return for each client that sent a masked input, the shares it must reveal
   * @throws UnavailableException with code {@code SECAGG_TOO_FEW_SURVIVORS} when fewer than t
   *     clients sent masked inputs, or a secret needed to unmask has fewer than t holders left
   */
  public synchronized List<UnmaskRequest> closeMaskedInput() {
    requireStage(SecAggStage.MASKED_INPUT, "close stage 3");
    requireSurvivors(masked, "clients sent masked inputs");
    askedSelfMask = new int[config.clients()][];
    askedSecretKey = new int[config.clients()][];
    List<UnmaskRequest> out = new ArrayList<>();
    for (int u = masked.nextSetBit(0); u >= 0; u = masked.nextSetBit(u + 1)) {
      int[] alive = aliveHolders(u);
      requireHolders(u, alive.length, "holders of the node's self-mask seed that sent masked inputs");
      int[] dropped = Arrays.stream(graph[u]).filter(v -> shared.get(v) && !masked.get(v)).toArray();
      for (int v : dropped) requireHolders(v, aliveHolders(v).length, "holders of the dropped node's masking key that sent masked inputs");
      askedSelfMask[u] = alive;
      askedSecretKey[u] = dropped;
      out.add(new UnmaskRequest(u, alive.clone(), dropped.clone()));
    }
    stage = SecAggStage.UNMASKING;
    return out;
  }

  /**
   * Ends stage 4: reconstructs the secrets, removes the masks and releases the sum.
   *
   * @throws UnavailableException with code {@code SECAGG_TOO_FEW_SURVIVORS} when fewer than t
   *     clients answered or some secret has fewer than t revealed shares
   * @throws InvalidRequestException with code {@code SECAGG_BAD_MESSAGE} when a reconstructed
   *     masking key does not match the advertised public key (inconsistent shares)
   */
  public synchronized SecAggResult finish() {
    requireStage(SecAggStage.UNMASKING, "finish");
    requireSurvivors(answered, "clients revealed their shares");
    try {
      int bits = config.modulusBits();
      for (int u = masked.nextSetBit(0); u >= 0; u = masked.nextSetBit(u + 1)) {
        byte[] seed = reconstruct(u, seedShares, "self-mask seed");
        Crypto.addMask(Crypto.deriveKey(seed, session, Crypto.Purpose.SELF_MASK, u), sum, true, bits);
      }
      for (int v = shared.nextSetBit(0); v >= 0; v = shared.nextSetBit(v + 1)) {
        // A node that dropped after sharing left pairwise masks in the sum iff a neighbour survived.
        if (masked.get(v) || aliveHolders(v).length == 0) continue;
        byte[] scalar = reconstruct(v, keyShares, "masking key");
        if (!Arrays.equals(Crypto.publicKeyOf(scalar), maskingKeys[v])) {
          fail(Failures.badMessage(stage, v, "the masking key reconstructed from the revealed shares does not match the node's advertised key; some survivor revealed a wrong share"));
        }
        PrivateKey key = Crypto.privateKey(scalar);
        for (int u : graph[v]) {
          if (!masked.get(u)) continue;
          byte[] secret;
          try {
            secret = Crypto.agree(key, Crypto.decodePublicKey(maskingKeys[u]));
          } catch (InvalidKeyException e) {
            throw Failures.badMessage(stage, u, "the node's masking key is of small order");
          }
          // u added +PRG(s_uv) when u < v and -PRG(s_uv) when u > v; undo it.
          Crypto.addMask(Crypto.deriveKey(secret, session, Crypto.Purpose.PAIRWISE_MASK, Math.min(u, v), Math.max(u, v)), sum, u < v, bits);
        }
      }
    } catch (FedGridException e) {
      fail(e);
    }
    long[] sums = Arrays.copyOf(sum, config.length());
    long totalWeight = sum[config.length()];
    sum = null;
    stage = SecAggStage.DONE;
    return new SecAggResult(masked.stream().toArray(), sums, totalWeight, quantizer.mean(sums, totalWeight));
  }

  private void acceptKeys(AdvertiseKeys m) {
    for (byte[] key : List.of(m.encryptionKey(), m.maskingKey())) {
      try {
        Crypto.decodePublicKey(key);
      } catch (IllegalArgumentException e) {
        throw Failures.badMessage(stage, m.node(), "advertised a malformed public key: " + e.getMessage());
      }
    }
    encryptionKeys[m.node()] = m.encryptionKey().clone();
    maskingKeys[m.node()] = m.maskingKey().clone();
  }

  private void acceptShares(ShareKeys m) {
    int u = m.node();
    BitSet receivers = new BitSet();
    for (EncryptedShare share : m.shares()) {
      int v = share.receiver();
      if (share.sender() != u) throw Failures.badMessage(stage, u, "sent a share marked as coming from node " + share.sender());
      if (v < 0 || v >= config.clients() || Arrays.binarySearch(graph[u], v) < 0) throw Failures.badMessage(stage, u, "sent a share for node " + v + ", which is not its neighbour");
      if (!advertised.get(v)) throw Failures.badMessage(stage, u, "sent a share for node " + v + ", which never advertised keys");
      if (receivers.get(v)) throw Failures.badMessage(stage, u, "sent two shares for node " + v);
      if (share.ciphertext().length != SecAggClient.SEALED_SHARE_BYTES) {
        throw Failures.badMessage(stage, u, "sent a share for node " + v + " of " + share.ciphertext().length + " bytes, expected " + SecAggClient.SEALED_SHARE_BYTES);
      }
      receivers.set(v);
    }
    long live = Arrays.stream(graph[u]).filter(advertised::get).count();
    if (receivers.cardinality() != live) {
      throw Failures.badMessage(stage, u, "sent shares for " + receivers.cardinality() + " neighbours but " + live + " of its neighbours advertised keys");
    }
    for (EncryptedShare share : m.shares()) inbox.get(share.receiver()).add(share);
  }

  private void acceptMaskedInput(MaskedInput m) {
    long[] y = m.masked();
    if (y.length != config.maskedLength()) {
      throw Failures.badMessage(stage, m.node(), "sent a masked vector of " + y.length + " elements, expected " + config.maskedLength() + " (length + 1 for the weight)");
    }
    long modulusMask = config.modulusMask();
    for (int i = 0; i < y.length; i++) {
      if ((y[i] & ~modulusMask) != 0) {
        throw Failures.badMessage(stage, m.node(), "sent element " + i + " = " + y[i] + ", outside [0, 2^" + config.modulusBits() + ")");
      }
    }
    for (int i = 0; i < y.length; i++) sum[i] = (sum[i] + y[i]) & modulusMask;
  }

  private void acceptUnmasking(UnmaskResponse m) {
    int u = m.node();
    checkRevealed(u, m.selfMaskShares(), askedSelfMask[u], "self-mask");
    checkRevealed(u, m.secretKeyShares(), askedSecretKey[u], "masking-key");
    store(m.selfMaskShares(), seedShares);
    store(m.secretKeyShares(), keyShares);
  }

  private void checkRevealed(int holder, List<RevealedShare> shares, int[] asked, String kind) {
    if (shares.size() != asked.length) {
      throw Failures.badMessage(stage, holder, "revealed " + shares.size() + " " + kind + " shares but was asked for " + asked.length);
    }
    for (int i = 0; i < asked.length; i++) {
      RevealedShare share = shares.get(i);
      if (share.owner() != asked[i]) throw Failures.badMessage(stage, holder, "revealed a " + kind + " share of node " + share.owner() + " where node " + asked[i] + "'s was asked for");
      if (share.value().length != KEY_BYTES) throw Failures.badMessage(stage, holder, "revealed a " + kind + " share of " + share.value().length + " bytes, expected " + KEY_BYTES);
      int expectedX = shareX(share.owner(), holder);
      if (share.x() != expectedX) throw Failures.badMessage(stage, holder, "revealed node " + share.owner() + "'s " + kind + " share at x = " + share.x() + ", but it holds x = " + expectedX);
    }
  }

  private static void store(List<RevealedShare> shares, Map<Integer, TreeMap<Integer, byte[]>> into) {
    for (RevealedShare share : shares) into.computeIfAbsent(share.owner(), owner -> new TreeMap<>()).put(share.x(), share.value().clone());
  }

  /** The x-coordinate {@code owner} gave {@code holder}: its rank among owner and owner's live neighbours. */
  private int shareX(int owner, int holder) {
    int x = owner < holder ? 2 : 1;
    for (int v : graph[owner]) {
      if (v >= holder) break;
      if (advertised.get(v)) x++;
    }
    return x;
  }

  /** The holders of u's shares that are in U3: u itself if it is, and its live neighbours that are. */
  private int[] aliveHolders(int u) {
    int[] neighbours = Arrays.stream(graph[u]).filter(masked::get).toArray();
    if (!masked.get(u)) return neighbours;
    int[] out = Arrays.copyOf(neighbours, neighbours.length + 1);
    out[neighbours.length] = u;
    Arrays.sort(out);
    return out;
  }

  private byte[] reconstruct(int owner, Map<Integer, TreeMap<Integer, byte[]>> shares, String what) {
    TreeMap<Integer, byte[]> byX = shares.getOrDefault(owner, new TreeMap<>());
    int t = config.threshold();
    if (byX.size() < t) {
      fail(Failures.tooFew(stage, owner, "too few survivors revealed shares of the node's " + what, byX.size(), t));
    }
    int[] xs = new int[t];
    byte[][] values = new byte[t][];
    int i = 0;
    for (Map.Entry<Integer, byte[]> e : byX.entrySet()) {
      if (i == t) break;
      xs[i] = e.getKey();
      values[i++] = e.getValue();
    }
    return Shamir.combine(xs, values);
  }

  private void requireSurvivors(BitSet survivors, String what) {
    int count = survivors.cardinality();
    if (count < config.threshold()) fail(Failures.tooFew(stage, null, "only " + count + " of " + config.clients() + " " + what, count, config.threshold()));
  }

  private void requireHolders(int node, int count, String what) {
    if (count < config.threshold()) fail(Failures.tooFew(stage, node, "too few " + what, count, config.threshold()));
  }

  private void requireStage(SecAggStage expected, String action) {
    requireNotFailed();
    if (stage != expected) {
      throw Failures.outOfOrder("SECAGG_OUT_OF_ORDER", stage, -1, "cannot " + action + " (stage " + expected + ") now; call the stages in order");
    }
  }

  private void requireNotFailed() {
    if (stage == SecAggStage.FAILED) {
      throw new ConflictException(
          "SECAGG_ROUND_FAILED", "SecAgg+ round " + session + " was abandoned earlier: " + failure.getMessage() + "; start a new round", Map.of("cause", failure.code()), failure);
    }
  }

  /** Abandons the round: the running sum and all revealed shares are dropped. */
  private void fail(FedGridException e) {
    if (stage != SecAggStage.FAILED) {
      stage = SecAggStage.FAILED;
      failure = e;
      if (sum != null) Arrays.fill(sum, 0);
      sum = null;
      inbox = null;
      seedShares.clear();
      keyShares.clear();
    }
    throw e;
  }
}
