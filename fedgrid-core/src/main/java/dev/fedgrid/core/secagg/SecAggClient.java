package dev.fedgrid.core.secagg;

import static dev.fedgrid.core.secagg.Crypto.KEY_BYTES;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.core.secagg.SecAggMessage.AdvertiseKeys;
import dev.fedgrid.core.secagg.SecAggMessage.EncryptedShare;
import dev.fedgrid.core.secagg.SecAggMessage.ForwardedShares;
import dev.fedgrid.core.secagg.SecAggMessage.MaskedInput;
import dev.fedgrid.core.secagg.SecAggMessage.NeighbourKeys;
import dev.fedgrid.core.secagg.SecAggMessage.RevealedShare;
import dev.fedgrid.core.secagg.SecAggMessage.Setup;
import dev.fedgrid.core.secagg.SecAggMessage.ShareKeys;
import dev.fedgrid.core.secagg.SecAggMessage.UnmaskRequest;
import dev.fedgrid.core.secagg.SecAggMessage.UnmaskResponse;
import java.nio.ByteBuffer;
import java.security.InvalidKeyException;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Supplier;
import javax.crypto.AEADBadTagException;
import javax.crypto.SecretKey;

/**
 * One client's side of one SecAgg+ round (Bell et al., CCS 2020; Bonawitz et al., CCS 2017 when
 * every client neighbours every other), as a state machine: each stage method takes what the server
 * sent and returns what to send back.
 *
 * <pre>{@code
 * var client = new SecAggClient(setup, new SecureRandom());
 * AdvertiseKeys keys = client.advertiseKeys();                       // stage 1
 * ShareKeys shares = client.shareKeys(neighbourKeys);                // stage 2
 * MaskedInput masked = client.maskInput(forwarded, update, weight);  // stage 3
 * UnmaskResponse answer = client.unmask(request);                    // stage 4
 * }</pre>
 *
 * <p>What the client checks, so that a server that deviates from the protocol learns no input:
 * messages are addressed to it and come from its neighbours; every share decrypts and authenticates
 * under the pairwise key with sender, receiver and session as associated data; at least {@code
 * threshold} holders (itself and live neighbours) stand behind its secrets before it shares and
 * before it masks; and in stage 4 it answers one request only, never reveals both the self-mask
 * share and the masking-key share of one node, never reveals its own masking key, and refuses
 * unless at least {@code threshold} of its holders are reported alive (so at least one pairwise
 * mask with a surviving neighbour still hides its input inside the sum). Any broken rule moves the
 * client to {@link SecAggStage#FAILED} and it answers nothing more this round; a bad local update
 * (wrong length, non-finite value, weight out of range) is refused without changing the state.
 *
 * <p>Cost: stage 1 draws two X25519 key pairs; stage 2 does k X25519 agreements, two Shamir splits
 * ({@code O(k t)} field operations per secret byte) and k AES-GCM seals; stage 3 does 2k agreements
 * and expands {@code k + 1} masks of {@code length + 1} words with AES-CTR, {@code O(k d)}. Not
 * thread-safe: one client per node per round, driven by one thread at a time.
 */
public final class SecAggClient {
  /** Plaintext of one sealed share: the x-coordinate, the self-mask seed share, the masking-key share. */
  static final int SHARE_PLAINTEXT_BYTES = 1 + 2 * KEY_BYTES;
  /** Length of {@link EncryptedShare#ciphertext()}: nonce, sealed plaintext, tag. */
  static final int SEALED_SHARE_BYTES = Crypto.NONCE_BYTES + SHARE_PLAINTEXT_BYTES + Crypto.TAG_BYTES;

  private final String session;
  private final SecAggConfig config;
  private final int node;
  private final int[] neighbours;
  private final SecureRandom random;
  private final Quantizer quantizer;
  private SecAggStage stage = SecAggStage.ADVERTISE_KEYS;

  private KeyPair encryptionKeys;
  private KeyPair maskingKeys;
  private byte[] selfMaskSeed;
  /** Live neighbours' advertised keys, from stage 2. */
  private final TreeMap<Integer, AdvertiseKeys> liveNeighbours = new TreeMap<>();
  /** The share plaintexts this client holds, its own included, by owner, from stage 3. */
  private final TreeMap<Integer, byte[]> heldShares = new TreeMap<>();

  /**
   * A client for the round that {@code setup} describes.
   *
   * @param setup the server's stage-0 message for this client
   * @param random the source of keys and the self-mask seed
   * @throws InvalidRequestException with code {@code SECAGG_BAD_MESSAGE} when the setup lists
   *     neighbours that are out of range, repeated, this client itself, or not k of them
   */
  public SecAggClient(Setup setup, SecureRandom random) {
    Objects.requireNonNull(setup, "setup");
    this.random = Objects.requireNonNull(random, "random");
    this.session = setup.session();
    this.config = setup.config();
    this.node = setup.node();
    this.neighbours = setup.neighbours().clone();
    this.quantizer = new Quantizer(config);
    if (node < 0 || node >= config.clients()) throw bad("the setup numbers this client " + node + ", outside 0.." + (config.clients() - 1));
    if (session.isBlank()) throw bad("the setup has an empty session id");
    if (neighbours.length != config.neighbours()) throw bad("the setup lists " + neighbours.length + " neighbours but the round has k = " + config.neighbours());
    for (int i = 0; i < neighbours.length; i++) {
      int v = neighbours[i];
      if (v < 0 || v >= config.clients() || v == node || (i > 0 && v <= neighbours[i - 1])) {
        throw bad("the setup's neighbour list " + Arrays.toString(neighbours) + " must be ascending, distinct, in 0.." + (config.clients() - 1) + " and without the client itself");
      }
    }
  }

  /** This client's round-local number. */
  public int node() {
    return node;
  }

  /** The stage whose method this client expects next, or {@code DONE}/{@code FAILED}. */
  public SecAggStage stage() {
    return stage;
  }

  /**
   * Stage 1: draws the encryption and masking key pairs and the self-mask seed; returns the public
   * keys.
   *
   * @throws dev.fedgrid.api.ConflictException with code {@code SECAGG_OUT_OF_ORDER} when called twice
   */
  public AdvertiseKeys advertiseKeys() {
    expect(SecAggStage.ADVERTISE_KEYS, "advertise its keys");
    return step(SecAggStage.SHARE_KEYS, () -> {
      encryptionKeys = Crypto.generateKeyPair(random);
      maskingKeys = Crypto.generateKeyPair(random);
      selfMaskSeed = new byte[KEY_BYTES];
      random.nextBytes(selfMaskSeed);
      return new AdvertiseKeys(node, Crypto.encodePublicKey(encryptionKeys.getPublic()), Crypto.encodePublicKey(maskingKeys.getPublic()));
    });
  }

  /**
   * Stage 2: Shamir-shares the self-mask seed and the masking private key, threshold t, among this
   * client (x = its rank) and its live neighbours, and seals each neighbour's shares for it.
   *
   * @param keys the advertised keys of this client's live neighbours
   * @return one sealed share per live neighbour, ascending by receiver
   * @throws InvalidRequestException with code {@code SECAGG_BAD_MESSAGE} for keys of non-neighbours,
   *     repeated or malformed keys
   * @throws UnavailableException with code {@code SECAGG_TOO_FEW_SURVIVORS} when fewer than t - 1
   *     neighbours are live
   */
  public ShareKeys shareKeys(NeighbourKeys keys) {
    expect(SecAggStage.SHARE_KEYS, "share its keys");
    return step(SecAggStage.MASKED_INPUT, () -> {
      requireAddressed(keys.node());
      Set<ByteBuffer> seen = new HashSet<>();
      seen.add(ByteBuffer.wrap(Crypto.encodePublicKey(encryptionKeys.getPublic())));
      seen.add(ByteBuffer.wrap(Crypto.encodePublicKey(maskingKeys.getPublic())));
      for (AdvertiseKeys neighbour : keys.neighbours()) {
        int v = neighbour.node();
        if (Arrays.binarySearch(neighbours, v) < 0) throw bad("the server sent keys of node " + v + ", which is not a neighbour");
        if (liveNeighbours.putIfAbsent(v, neighbour) != null) throw bad("the server sent keys of node " + v + " twice");
        decode(neighbour.encryptionKey(), v);
        decode(neighbour.maskingKey(), v);
        if (!seen.add(ByteBuffer.wrap(neighbour.encryptionKey())) || !seen.add(ByteBuffer.wrap(neighbour.maskingKey()))) {
          throw bad("node " + v + " advertised a public key that another node (or this one) also uses");
        }
      }
      int holders = liveNeighbours.size() + 1;
      if (holders < config.threshold()) {
        throw Failures.tooFew(SecAggStage.SHARE_KEYS, node, "too few live neighbours to share this client's secrets with: itself and " + liveNeighbours.size() + " neighbours", holders, config.threshold());
      }
      List<Integer> holderOrder = new ArrayList<>(liveNeighbours.keySet());
      holderOrder.add(node);
      holderOrder.sort(null);
      byte[][] seedShares = Shamir.split(selfMaskSeed, config.threshold(), holders, random);
      byte[][] keyShares = Shamir.split(Crypto.privateScalar(maskingKeys.getPrivate()), config.threshold(), holders, random);
      List<EncryptedShare> out = new ArrayList<>(liveNeighbours.size());
      for (int i = 0; i < holders; i++) {
        int holder = holderOrder.get(i);
        byte[] plaintext = ByteBuffer.allocate(SHARE_PLAINTEXT_BYTES).put((byte) (i + 1)).put(seedShares[i]).put(keyShares[i]).array();
        if (holder == node) {
          heldShares.put(node, plaintext);
        } else {
          SecretKey key = shareKey(holder, node, holder);
          out.add(new EncryptedShare(node, holder, Crypto.seal(key, plaintext, Crypto.shareAssociatedData(session, node, holder), random)));
        }
      }
      return new ShareKeys(node, out);
    });
  }

  /**
   * Stage 3: opens the shares its live neighbours sent, then quantizes the update and masks it: adds
   * the self mask {@code PRG(b_u)} and, for each neighbour v that sent shares, {@code +PRG(s_uv)}
   * when {@code u < v} and {@code -PRG(s_uv)} when {@code u > v}, all modulo {@code 2^modulusBits}.
   *
   * @param shares the sealed shares the server forwards from live neighbours
   * @param update this client's {@code length} values, clipped to {@code [-clip, clip]} here
   * @param weight the update's weight, 1 to {@code maxWeight} (1 for an unweighted mean)
   * @throws InvalidRequestException with code {@code SECAGG_BAD_INPUT} for a bad update or weight
   *     (the client stays in this stage), {@code SECAGG_BAD_MESSAGE} for shares from non-neighbours,
   *     repeated, misaddressed or failing authentication
   * @throws UnavailableException with code {@code SECAGG_TOO_FEW_SURVIVORS} when fewer than t - 1
   *     neighbours sent shares
   */
  public MaskedInput maskInput(ForwardedShares shares, float[] update, long weight) {
    expect(SecAggStage.MASKED_INPUT, "mask its input");
    Objects.requireNonNull(update, "update");
    long[] masked = quantizer.quantize(update, weight, new SplittableRandom(random.nextLong()));
    return step(SecAggStage.UNMASKING, () -> {
      requireAddressed(shares.node());
      for (EncryptedShare share : shares.shares()) {
        int v = share.sender();
        if (share.receiver() != node) throw bad("the server forwarded a share from node " + v + " addressed to node " + share.receiver());
        if (!liveNeighbours.containsKey(v)) throw bad("the server forwarded a share from node " + v + ", which is not a live neighbour");
        if (heldShares.containsKey(v)) throw bad("the server forwarded two shares from node " + v);
        if (share.ciphertext().length != SEALED_SHARE_BYTES) throw bad("the share from node " + v + " has " + share.ciphertext().length + " bytes, expected " + SEALED_SHARE_BYTES);
        byte[] plaintext;
        try {
          plaintext = Crypto.open(shareKey(v, v, node), share.ciphertext(), Crypto.shareAssociatedData(session, v, node));
        } catch (AEADBadTagException e) {
          throw bad("the share from node " + v + " fails authentication (altered, misrouted or from another round)");
        }
        if (plaintext.length != SHARE_PLAINTEXT_BYTES || plaintext[0] == 0) throw bad("the share from node " + v + " is malformed");
        heldShares.put(v, plaintext);
      }
      int holders = heldShares.size();
      if (holders < config.threshold()) {
        throw Failures.tooFew(SecAggStage.MASKED_INPUT, node, "too few neighbours shared their secrets with this client: itself and " + (holders - 1) + " neighbours", holders, config.threshold());
      }
      Crypto.addMask(Crypto.deriveKey(selfMaskSeed, session, Crypto.Purpose.SELF_MASK, node), masked, false, config.modulusBits());
      for (int v : heldShares.keySet()) {
        if (v == node) continue;
        SecretKey pairwise = pairwiseMaskKey(v);
        Crypto.addMask(pairwise, masked, node > v, config.modulusBits());
      }
      return new MaskedInput(node, masked);
    });
  }

  /**
   * Stage 4: reveals, for each node in {@code selfMaskOf}, its self-mask seed share, and for each in
   * {@code secretKeyOf}, its masking-key share. Answers once.
   *
   * @throws InvalidRequestException with code {@code SECAGG_UNMASK_REFUSED} when the request names a
   *     node in both lists, names a node twice, names a node whose shares this client does not hold,
   *     asks for this client's own masking key, or reports fewer than t of this client's holders
   *     alive
   */
  public UnmaskResponse unmask(UnmaskRequest request) {
    expect(SecAggStage.UNMASKING, "reveal shares");
    return step(SecAggStage.DONE, () -> {
      requireAddressed(request.node());
      Set<Integer> alive = distinct(request.selfMaskOf(), "self-mask");
      Set<Integer> dropped = distinct(request.secretKeyOf(), "masking-key");
      for (int v : dropped) {
        if (alive.contains(v)) throw refused("the server asks for both the self-mask share and the masking-key share of node " + v + ", which together reveal its input");
        if (v == node) throw refused("the server asks for this client's own masking key while talking to it");
      }
      for (Set<Integer> asked : List.of(alive, dropped)) {
        for (int v : asked) {
          if (!heldShares.containsKey(v)) throw refused("the server asks for a share of node " + v + ", which did not share with this client");
        }
      }
      if (alive.size() < config.threshold()) {
        throw refused("only " + alive.size() + " of this client's shareholders (itself included) are reported alive, fewer than the threshold " + config.threshold()
            + ", so the sum could expose this client's input");
      }
      List<RevealedShare> seeds = new ArrayList<>(alive.size());
      for (int v : request.selfMaskOf()) seeds.add(reveal(v, 1));
      List<RevealedShare> keys = new ArrayList<>(dropped.size());
      for (int v : request.secretKeyOf()) keys.add(reveal(v, 1 + KEY_BYTES));
      forgetSecrets();
      return new UnmaskResponse(node, seeds, keys);
    });
  }

  private RevealedShare reveal(int owner, int offset) {
    byte[] plaintext = heldShares.get(owner);
    return new RevealedShare(owner, plaintext[0] & 0xFF, Arrays.copyOfRange(plaintext, offset, offset + KEY_BYTES));
  }

  private Set<Integer> distinct(int[] nodes, String kind) {
    Set<Integer> set = new HashSet<>();
    for (int v : nodes) {
      if (!set.add(v)) throw refused("the server asks twice for the " + kind + " share of node " + v);
    }
    return set;
  }

  /** The AES-GCM key for shares from {@code sender} to {@code receiver}, agreed with {@code peer}. */
  private SecretKey shareKey(int peer, int sender, int receiver) {
    byte[] secret = agree(encryptionKeys, liveNeighbours.get(peer).encryptionKey(), peer);
    return Crypto.deriveKey(secret, session, Crypto.Purpose.SHARE_ENCRYPTION, sender, receiver);
  }

  private SecretKey pairwiseMaskKey(int peer) {
    byte[] secret = agree(maskingKeys, liveNeighbours.get(peer).maskingKey(), peer);
    return Crypto.deriveKey(secret, session, Crypto.Purpose.PAIRWISE_MASK, Math.min(node, peer), Math.max(node, peer));
  }

  private byte[] agree(KeyPair mine, byte[] theirs, int peer) {
    try {
      return Crypto.agree(mine.getPrivate(), decode(theirs, peer));
    } catch (InvalidKeyException e) {
      throw bad("node " + peer + "'s public key is of small order");
    }
  }

  private PublicKey decode(byte[] key, int peer) {
    try {
      return Crypto.decodePublicKey(key);
    } catch (IllegalArgumentException e) {
      throw bad("node " + peer + "'s public key is malformed: " + e.getMessage());
    }
  }

  private void forgetSecrets() {
    Arrays.fill(selfMaskSeed, (byte) 0);
    heldShares.values().forEach(share -> Arrays.fill(share, (byte) 0));
    heldShares.clear();
    encryptionKeys = null;
    maskingKeys = null;
  }

  private void requireAddressed(int addressee) {
    if (addressee != node) throw bad("the message is addressed to node " + addressee);
  }

  private void expect(SecAggStage expected, String action) {
    if (stage != expected) {
      throw Failures.outOfOrder(
          "SECAGG_OUT_OF_ORDER",
          stage,
          node,
          "the client was asked to " + action + " (stage " + expected + ")" + (stage == SecAggStage.FAILED ? ", but it abandoned this round earlier" : " out of order"));
    }
  }

  private <T> T step(SecAggStage next, Supplier<T> body) {
    try {
      T out = body.get();
      stage = next;
      return out;
    } catch (RuntimeException e) {
      stage = SecAggStage.FAILED;
      if (selfMaskSeed != null) forgetSecrets();
      throw e;
    }
  }

  private InvalidRequestException bad(String what) {
    return Failures.badMessage(stage, node, what);
  }

  private InvalidRequestException refused(String what) {
    return Failures.refused(stage, node, what);
  }

  @Override
  public String toString() {
    return "SecAggClient[node " + node + ", stage " + stage + "]";
  }
}
