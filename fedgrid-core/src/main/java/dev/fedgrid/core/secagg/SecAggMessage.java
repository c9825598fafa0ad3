package dev.fedgrid.core.secagg;

import java.util.List;
import java.util.Objects;

/**
 * The messages of a SecAgg+ round, plain data for any transport to carry: nodes are numbered {@code
 * 0..n-1} within the round, keys and ciphertexts are byte arrays, masked vectors are {@code long}
 * arrays of residues modulo {@code 2^modulusBits}.
 *
 * <p>Arrays are neither copied nor compared by value (records compare them by reference): senders
 * must not change an array after handing a message over. Lists are copied and immutable.
 */
public sealed interface SecAggMessage {
  /** The round-local number of the node that sends or receives the message. */
  int node();

  /** What a client sends to the server. */
  sealed interface FromClient extends SecAggMessage {}

  /** What the server sends to one client. */
  sealed interface FromServer extends SecAggMessage {}

  /**
   * Stage 0: the round's parameters and the node's neighbours.
   *
   * @param session the round's random id; keys, masks and share encryption are bound to it
   * @param config the round's parameters
   * @param node the client's number, 0 to n - 1
   * @param neighbours the client's k neighbours, ascending
   */
  record Setup(String session, SecAggConfig config, int node, int[] neighbours) implements FromServer {
    public Setup {
      Objects.requireNonNull(session, "session");
      Objects.requireNonNull(config, "config");
      Objects.requireNonNull(neighbours, "neighbours");
    }
  }

  /**
   * Stage 1: a client's two X25519 public keys, 32 bytes each (RFC 7748 encoding).
   *
   * @param encryptionKey c_u^PK, for the keys that encrypt shares between clients
   * @param maskingKey s_u^PK, for the pairwise masks
   */
  record AdvertiseKeys(int node, byte[] encryptionKey, byte[] maskingKey) implements FromClient {
    public AdvertiseKeys {
      Objects.requireNonNull(encryptionKey, "encryptionKey");
      Objects.requireNonNull(maskingKey, "maskingKey");
    }
  }

  /**
   * Stage 1 to 2: the keys of those of the client's neighbours that advertised theirs.
   *
   * @param neighbours one {@link AdvertiseKeys} per live neighbour, ascending by node
   */
  record NeighbourKeys(int node, List<AdvertiseKeys> neighbours) implements FromServer {
    public NeighbourKeys {
      neighbours = List.copyOf(neighbours);
    }
  }

  /**
   * One client's shares for another, AES-GCM-sealed under their pairwise key; only the two can
   * open it.
   *
   * @param ciphertext nonce, sealed share and tag
   */
  record EncryptedShare(int sender, int receiver, byte[] ciphertext) {
    public EncryptedShare {
      Objects.requireNonNull(ciphertext, "ciphertext");
    }
  }

  /** Stage 2: a client's sealed shares, one for each live neighbour. */
  record ShareKeys(int node, List<EncryptedShare> shares) implements FromClient {
    public ShareKeys {
      shares = List.copyOf(shares);
    }
  }

  /** Stage 2 to 3: the sealed shares the client's live neighbours sent it. */
  record ForwardedShares(int node, List<EncryptedShare> shares) implements FromServer {
    public ForwardedShares {
      shares = List.copyOf(shares);
    }
  }

  /**
   * Stage 3: the client's masked input, {@code length + 1} residues modulo {@code 2^modulusBits}:
   * the weighted quantized values, then the weight, plus the self mask and the pairwise masks.
   */
  record MaskedInput(int node, long[] masked) implements FromClient {
    public MaskedInput {
      Objects.requireNonNull(masked, "masked");
    }
  }

  /**
   * Stage 3 to 4: which shares the server asks a survivor for. A node may appear in at most one of
   * the two lists; clients refuse a request that names one in both.
   *
   * @param selfMaskOf nodes (the client itself included) whose masked input arrived: their self-mask
   *     seed shares are needed
   * @param secretKeyOf neighbours that dropped after sharing: their masking-key shares are needed
   */
  record UnmaskRequest(int node, int[] selfMaskOf, int[] secretKeyOf) implements FromServer {
    public UnmaskRequest {
      Objects.requireNonNull(selfMaskOf, "selfMaskOf");
      Objects.requireNonNull(secretKeyOf, "secretKeyOf");
    }
  }

  /**
   * One revealed share: the share at {@code x} of one of {@code owner}'s secrets.
   *
   * @param x the Shamir x-coordinate, 1 to 255
   * @param value 32 bytes
   */
  record RevealedShare(int owner, int x, byte[] value) {
    public RevealedShare {
      Objects.requireNonNull(value, "value");
    }
  }

  /** Stage 4: the shares the server asked for, in the order of the request. */
  record UnmaskResponse(int node, List<RevealedShare> selfMaskShares, List<RevealedShare> secretKeyShares) implements FromClient {
    public UnmaskResponse {
      selfMaskShares = List.copyOf(selfMaskShares);
      secretKeyShares = List.copyOf(secretKeyShares);
    }
  }
}
