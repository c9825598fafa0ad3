package dev.fedgrid.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class TensorCodecTest {
  static Parameters random(long seed, int maxTensors) {
    var rng = new Random(seed);
    int tensors = 1 + rng.nextInt(maxTensors);
    var specs = new ArrayList<TensorSpec>();
    for (int t = 0; t < tensors; t++) {
      int rank = rng.nextInt(4);
      int[] shape = new int[rank];
      for (int r = 0; r < rank; r++) shape[r] = 1 + rng.nextInt(7);
      specs.add(TensorSpec.of("layer" + t + (rng.nextBoolean() ? ".weight" : ".ß"), shape));
    }
    var layout = new ParameterLayout(specs);
    float[] values = new float[layout.size()];
    for (int i = 0; i < values.length; i++) values[i] = Float.intBitsToFloat(rng.nextInt());
    return new Parameters(layout, values);
  }

  static final Parameters SMALL =
      new Parameters(new ParameterLayout(List.of(TensorSpec.of("w", 2, 3), TensorSpec.of("b", 2))), new float[] {1, 2, 3, 4, 5, 6, -1, -2});

  @Property(tries = 300)
  void roundTripsBitForBit(@ForAll long seed) {
    Parameters p = random(seed, 6);
    Parameters back = TensorCodec.decode(TensorCodec.encode(p));
    assertThat(back.layout()).isEqualTo(p.layout());
    for (int i = 0; i < p.values().length; i++) {
      assertThat(Float.floatToRawIntBits(back.values()[i])).isEqualTo(Float.floatToRawIntBits(p.values()[i]));
    }
    assertThat(TensorCodec.decode(TensorCodec.encode(p), p.layout()).layout()).isEqualTo(p.layout());
  }

  @Test
  void encodesTheDocumentedLayout() {
    byte[] bytes = TensorCodec.encode(SMALL);
    ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = new byte[4];
    buf.get(magic);
    assertThat(new String(magic)).isEqualTo("FGT1");
    assertThat(buf.getInt()).isEqualTo(2);
    assertThat(buf.getShort()).isEqualTo((short) 1);
    assertThat(buf.get()).isEqualTo((byte) 'w');
    assertThat(buf.get()).isEqualTo((byte) 2);
    assertThat(buf.getInt()).isEqualTo(2);
    assertThat(buf.getInt()).isEqualTo(3);
    buf.position(buf.position() + 2 + 1 + 1 + 4); // "b", rank 1, [2]
    assertThat(buf.remaining()).isEqualTo(8 * 4);
    assertThat(buf.getFloat()).isEqualTo(1f);
  }

  static void assertMalformed(byte[] bytes) {
    assertThatThrownBy(() -> TensorCodec.decode(bytes)).isInstanceOf(InvalidRequestException.class);
  }

  @Test
  void refusesEveryTruncation() {
    byte[] bytes = TensorCodec.encode(SMALL);
    for (int length = 0; length < bytes.length; length++) {
      byte[] cut = Arrays.copyOf(bytes, length);
      assertThatThrownBy(() -> TensorCodec.decode(cut))
          .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("MALFORMED_TENSORS"));
    }
    assertMalformed(null);
  }

  @Test
  void refusesTrailingBytes() {
    byte[] bytes = TensorCodec.encode(SMALL);
    assertMalformed(Arrays.copyOf(bytes, bytes.length + 1));
    assertMalformed(Arrays.copyOf(bytes, bytes.length + 4));
  }

  @Test
  void refusesForgedHeadersWithoutAllocatingWhatTheyClaim() {
    byte[] bytes = TensorCodec.encode(SMALL);
    // a huge tensor count
    byte[] count = bytes.clone();
    ByteBuffer.wrap(count).order(ByteOrder.LITTLE_ENDIAN).putInt(4, Integer.MAX_VALUE);
    assertMalformed(count);
    ByteBuffer.wrap(count).order(ByteOrder.LITTLE_ENDIAN).putInt(4, -1);
    assertMalformed(count);
    // huge dimensions: w [46340, 46340] claims ~8 GB of data in a 60-byte buffer
    byte[] dims = bytes.clone();
    ByteBuffer.wrap(dims).order(ByteOrder.LITTLE_ENDIAN).putInt(4 + 4 + 2 + 1 + 1, 46340).putInt(4 + 4 + 2 + 1 + 1 + 4, 46340);
    assertMalformed(dims);
    // a dimension whose product overflows int, and a negative one
    ByteBuffer.wrap(dims).order(ByteOrder.LITTLE_ENDIAN).putInt(4 + 4 + 2 + 1 + 1, Integer.MAX_VALUE).putInt(4 + 4 + 2 + 1 + 1 + 4, Integer.MAX_VALUE);
    assertMalformed(dims);
    ByteBuffer.wrap(dims).order(ByteOrder.LITTLE_ENDIAN).putInt(4 + 4 + 2 + 1 + 1, -2);
    assertMalformed(dims);
    // a rank beyond the limit, a name longer than the buffer, a bad magic
    byte[] rank = bytes.clone();
    rank[4 + 4 + 2 + 1] = (byte) 200;
    assertMalformed(rank);
    byte[] name = bytes.clone();
    ByteBuffer.wrap(name).order(ByteOrder.LITTLE_ENDIAN).putShort(8, (short) -1);
    assertMalformed(name);
    byte[] magic = bytes.clone();
    magic[3] = '2';
    assertMalformed(magic);
  }

  @Property(tries = 1000)
  void corruptedBuffersFailCleanly(@ForAll long seed, @ForAll @IntRange(min = 1, max = 4) int flips) {
    byte[] bytes = TensorCodec.encode(random(seed, 3));
    var rng = new Random(seed ^ 0x5DEECE66DL);
    for (int f = 0; f < flips; f++) bytes[rng.nextInt(bytes.length)] = (byte) rng.nextInt();
    try {
      TensorCodec.decode(bytes);
    } catch (FedGridException e) {
      assertThat(e).isInstanceOf(InvalidRequestException.class);
    }
  }

  @Test
  void refusesAnotherLayoutNamingTheDifference() {
    byte[] bytes = TensorCodec.encode(SMALL);
    var other = new ParameterLayout(List.of(TensorSpec.of("w", 3, 2), TensorSpec.of("b", 2)));
    assertThatThrownBy(() -> TensorCodec.decode(bytes, other))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("SHAPE_MISMATCH"))
        .hasMessageContaining("tensor 0")
        .hasMessageContaining("[2, 3]");
    var fewer = new ParameterLayout(List.of(TensorSpec.of("w", 2, 3)));
    assertThatThrownBy(() -> TensorCodec.decode(bytes, fewer))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("SHAPE_MISMATCH"))
        .hasMessageContaining("2 tensors");
  }

  @Test
  void roundTripsNamedArraysSortedByName() {
    var arrays = new LinkedHashMap<String, float[]>();
    arrays.put("v", new float[] {1, 2, 3});
    arrays.put("m", new float[] {-1});
    Map<String, float[]> back = TensorCodec.decodeNamed(TensorCodec.encodeNamed(arrays));
    assertThat(back.keySet()).containsExactly("m", "v");
    assertThat(back.get("v")).containsExactly(1, 2, 3);
    assertThat(back.get("m")).containsExactly(-1);
    assertThat(TensorCodec.decodeNamed(TensorCodec.encodeNamed(Map.of()))).isEmpty();
    assertThatThrownBy(() -> TensorCodec.decode(TensorCodec.encodeNamed(Map.of()))).isInstanceOf(InvalidRequestException.class);
  }
}
