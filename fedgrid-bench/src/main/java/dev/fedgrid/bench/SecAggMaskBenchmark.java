package dev.fedgrid.bench;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.security.GeneralSecurityException;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Throughput of SecAgg+ mask expansion: the project's AES-128-CTR path against plain JDK AES-CTR
 * over the same number of keystream bytes, single-threaded.
 *
 * <ul>
 *   <li>{@link #projectAddMask()}: {@code dev.fedgrid.core.secagg.Crypto.addMask}, the code every
 *       client runs {@code k + 1} times in stage 3 and the server {@code |U3| + m k} times in {@code
 *       finish()}: a fresh {@code AES/CTR/NoPadding} cipher, the keystream produced 64 KiB per
 *       {@code update} into one reused buffer, and each 4-byte little-endian word added into a
 *       {@code long[]} modulo 2^32. The method is package-private, so the benchmark reaches it
 *       through a {@link MethodHandles#privateLookupIn private lookup} (every class here is in the
 *       unnamed module); fedgrid-core is not changed for it.
 *   <li>{@link #ctrChunked()}: the same cipher and the same 64 KiB {@code update} calls, keystream
 *       only (no words decoded, nothing added): the cost of the AES-CTR itself.
 *   <li>{@link #ctrOneUpdate()}: one {@code update} over the whole keystream into a buffer of its
 *       size, the plain way to use the JDK cipher.
 * </ul>
 *
 * A mask of {@code words} elements is {@code 4 * words} keystream bytes at the default 32-bit
 * modulus; every operation produces exactly that many bytes, so GB/s = {@code 4 * words} / time.
 * {@code words} is {@code d + 1} (the update and its weight) for d = 100,000 and 1,000,000.
 *
 * <p>Eight warm-up iterations, because the one-update path runs 20 to 40 times slower until C2 has
 * compiled the JDK's counter-mode loop, which takes several seconds when every call is one long
 * loop; the chunked paths are compiled within the first second.
 *
 * <p>Run with {@code java -jar fedgrid-bench/target/benchmarks.jar SecAggMask}, or through {@link
 * SecAggReport}, which converts the times to GB/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Warmup(iterations = 8, time = 1)
@Measurement(iterations = 3, time = 1)
public class SecAggMaskBenchmark {
  /** Keystream bytes per mask word at the default 32-bit modulus. */
  public static final int WORD_BYTES = 4;

  private static final int CHUNK_BYTES = 64 * 1024;
  private static final int MODULUS_BITS = 32;
  private static final MethodHandle ADD_MASK = findAddMask();

  /** Mask elements: d + 1 for d = 100,000 and 1,000,000. */
  @Param({"100001", "1000001"})
  public int words;

  private SecretKey key;
  private long[] acc;
  private byte[] zeros;
  private byte[] chunk;
  private byte[] whole;

  @Setup
  public void setUp() {
    var rng = new SplittableRandom(2026);
    byte[] raw = new byte[16];
    rng.nextBytes(raw);
    key = new SecretKeySpec(raw, "AES");
    acc = new long[words];
    for (int i = 0; i < words; i++) acc[i] = rng.nextLong() & 0xFFFF_FFFFL;
    zeros = new byte[WORD_BYTES * words];
    chunk = new byte[CHUNK_BYTES];
    whole = new byte[WORD_BYTES * words];
  }

  /** Keystream bytes one operation produces. */
  public static long bytesPerOperation(int words) {
    return (long) WORD_BYTES * words;
  }

  @Benchmark
  public long[] projectAddMask() throws Throwable {
    ADD_MASK.invokeExact(key, acc, false, MODULUS_BITS);
    return acc;
  }

  @Benchmark
  public byte[] ctrChunked() throws GeneralSecurityException {
    Cipher ctr = newCipher();
    int total = WORD_BYTES * words;
    for (int start = 0; start < total; start += CHUNK_BYTES) {
      ctr.update(zeros, start, Math.min(CHUNK_BYTES, total - start), chunk, 0);
    }
    return chunk;
  }

  @Benchmark
  public byte[] ctrOneUpdate() throws GeneralSecurityException {
    newCipher().update(zeros, 0, zeros.length, whole, 0);
    return whole;
  }

  private Cipher newCipher() throws GeneralSecurityException {
    Cipher ctr = Cipher.getInstance("AES/CTR/NoPadding");
    ctr.init(Cipher.ENCRYPT_MODE, key, new IvParameterSpec(new byte[16]));
    return ctr;
  }

  private static MethodHandle findAddMask() {
    try {
      Class<?> crypto = Class.forName("dev.fedgrid.core.secagg.Crypto");
      return MethodHandles.privateLookupIn(crypto, MethodHandles.lookup())
          .findStatic(crypto, "addMask", MethodType.methodType(void.class, SecretKey.class, long[].class, boolean.class, int.class));
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(
          "dev.fedgrid.core.secagg.Crypto.addMask(SecretKey, long[], boolean, int) is gone or changed its signature; update SecAggMaskBenchmark to the new mask expansion entry point",
          e);
    }
  }
}
