package dev.fedgrid.core.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.IvParameterSpec;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The building blocks: Shamir sharing, the graph, key agreement, sealing and mask expansion. */
class SecAggPrimitivesTest {
  @Property(tries = 60)
  void anyThresholdOfSharesReconstructsTheSecret(
      @ForAll @IntRange(min = 1, max = 255) int holders, @ForAll @IntRange(min = 1, max = 255) int thresholdChoice, @ForAll long seed) {
    int threshold = 1 + Math.floorMod(thresholdChoice, holders);
    Random random = new Random(seed);
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    byte[][] shares = Shamir.split(secret, threshold, holders, Rounds.RANDOM);
    List<Integer> picks = new ArrayList<>();
    for (int i = 0; i < holders; i++) picks.add(i);
    Collections.shuffle(picks, random);
    int[] xs = new int[threshold];
    byte[][] values = new byte[threshold][];
    for (int i = 0; i < threshold; i++) {
      xs[i] = picks.get(i) + 1;
      values[i] = shares[picks.get(i)];
    }
    assertThat(Shamir.combine(xs, values)).isEqualTo(secret);
    if (threshold > 1) {
      assertThat(Shamir.combine(Arrays.copyOf(xs, threshold - 1), Arrays.copyOf(values, threshold - 1))).isNotEqualTo(secret);
    }
  }

  @Property(tries = 100)
  void theGraphIsKRegularSymmetricAndLoopFree(@ForAll @IntRange(min = 2, max = 60) int n, @ForAll int choice, @ForAll long seed) {
    int k = 1 + Math.floorMod(choice, n - 1);
    if (n * k % 2 == 1) k = k == n - 1 ? k - 1 : k + 1;
    if (k < 1) return;
    int[][] graph = Graphs.randomHarary(n, k, new SplittableRandom(seed));
    for (int u = 0; u < n; u++) {
      assertThat(graph[u]).hasSize(k).isSorted().doesNotContain(u).doesNotHaveDuplicates();
      for (int v : graph[u]) assertThat(graph[v]).contains(u);
    }
  }

  @Property(tries = 30)
  void pairwiseMasksCancelInTheSum(@ForAll @IntRange(min = 2, max = 12) int n, @ForAll @IntRange(min = 1, max = 300) int length, @ForAll boolean wide) {
    int bits = wide ? 62 : 20;
    int[][] graph = Graphs.randomHarary(n, n - 1, new SplittableRandom(n));
    long[] total = new long[length];
    for (int u = 0; u < n; u++) {
      long[] y = new long[length];
      for (int v : graph[u]) {
        byte[] secret = new byte[32];
        secret[0] = (byte) Math.min(u, v);
        secret[1] = (byte) Math.max(u, v);
        SecretKey key = Crypto.deriveKey(secret, "test", Crypto.Purpose.PAIRWISE_MASK, Math.min(u, v), Math.max(u, v));
        Crypto.addMask(key, y, u > v, bits);
      }
      assertThat(y).as("a single masked vector looks random").isNotEqualTo(new long[length]);
      for (int i = 0; i < length; i++) total[i] = (total[i] + y[i]) & ((1L << bits) - 1);
    }
    assertThat(total).containsOnly(0L);
  }

  @Test
  void chunkedMaskExpansionEqualsOneShotAesCtr() throws Exception {
    SecretKey key = Crypto.deriveKey(new byte[32], "s", Crypto.Purpose.SELF_MASK, 7);
    int length = 3 * Crypto.CHUNK_BYTES / 4 + 13;
    Cipher ctr = Cipher.getInstance("AES/CTR/NoPadding");
    ctr.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(new byte[16]));
    byte[] stream = ctr.doFinal(new byte[length * 8]);
    var words = java.nio.ByteBuffer.wrap(stream).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    long[] narrow = new long[length];
    Crypto.addMask(key, narrow, false, 32);
    long[] wide = new long[length];
    Crypto.addMask(key, wide, false, 40);
    for (int i = 0; i < length; i++) {
      assertThat(narrow[i]).isEqualTo(words.getInt(4 * i) & 0xFFFFFFFFL);
      assertThat(wide[i]).isEqualTo(words.getLong(8 * i) & ((1L << 40) - 1));
    }
  }

  @Test
  void publicKeysRoundTripAndMatchTheirScalars() throws Exception {
    KeyPair a = Crypto.generateKeyPair(Rounds.RANDOM);
    KeyPair b = Crypto.generateKeyPair(Rounds.RANDOM);
    byte[] encoded = Crypto.encodePublicKey(a.getPublic());
    assertThat(Crypto.encodePublicKey(Crypto.decodePublicKey(encoded))).isEqualTo(encoded);
    assertThat(Crypto.publicKeyOf(Crypto.privateScalar(a.getPrivate()))).isEqualTo(encoded);
    byte[] ab = Crypto.agree(a.getPrivate(), b.getPublic());
    byte[] ba = Crypto.agree(Crypto.privateKey(Crypto.privateScalar(b.getPrivate())), Crypto.decodePublicKey(encoded));
    assertThat(ab).isEqualTo(ba).hasSize(32);
    byte[] tooBig = new byte[32];
    Arrays.fill(tooBig, (byte) 0xFF);
    assertThatThrownBy(() -> Crypto.decodePublicKey(tooBig)).hasMessageContaining("canonically");
  }

  @Test
  void sealedSharesAreBoundToSenderReceiverAndSession() throws Exception {
    SecretKey key = Crypto.deriveKey(new byte[32], "session-1", Crypto.Purpose.SHARE_ENCRYPTION, 1, 2);
    byte[] plaintext = "x and two shares".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] sealed = Crypto.seal(key, plaintext, Crypto.shareAssociatedData("session-1", 1, 2), Rounds.RANDOM);
    assertThat(Crypto.open(key, sealed, Crypto.shareAssociatedData("session-1", 1, 2))).isEqualTo(plaintext);
    assertThatThrownBy(() -> Crypto.open(key, sealed, Crypto.shareAssociatedData("session-1", 1, 3))).isInstanceOf(AEADBadTagException.class);
    assertThatThrownBy(() -> Crypto.open(key, sealed, Crypto.shareAssociatedData("session-2", 1, 2))).isInstanceOf(AEADBadTagException.class);
  }
}
