package dev.fedgrid.core.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.model.ParameterLayout;
import dev.fedgrid.api.model.Parameters;
import dev.fedgrid.api.model.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class SafetensorsTest {
  /**
   * Written by the reference implementation (Python safetensors 0.8.0, {@code
   * safetensors.numpy.save}) from {@code layer0.weight = [[1.5, -2, 3.25], [0, 1e-3, -7]]}, {@code
   * layer0.bias = [0.5, -0.25]}, the scalar {@code scale = 2} and the metadata {@code format: np,
   * note: quote " and é}.
   */
  static final byte[] REFERENCE =
      HexFormat.of()
          .parseHex(
              "f8000000000000007b225f5f6d657461646174615f5f223a7b22666f726d6174223a226e70222c226e6f7465223a2271756f7465205c2220616e6420c3a9227d2c226c61796572302e62696173223a7b226474797065223a22463332222c227368617065223a5b325d2c22646174615f6f666673657473223a5b302c385d7d2c226c61796572302e776569676874223a7b226474797065223a22463332222c227368617065223a5b322c335d2c22646174615f6f666673657473223a5b382c33325d7d2c227363616c65223a7b226474797065223a22463332222c227368617065223a5b5d2c22646174615f6f666673657473223a5b33322c33365d7d7d20200000003f000080be0000c03f000000c000005040000000006f12833a0000e0c000000040");

  static final ParameterLayout REFERENCE_LAYOUT =
      new ParameterLayout(List.of(TensorSpec.of("layer0.bias", 2), TensorSpec.of("layer0.weight", 2, 3), TensorSpec.of("scale")));
  static final float[] REFERENCE_VALUES = {0.5f, -0.25f, 1.5f, -2f, 3.25f, 0f, 1e-3f, -7f, 2f};
  static final Map<String, String> REFERENCE_METADATA = Map.of("format", "np", "note", "quote \" and é");

  @Test
  void writesWhatTheReferenceImplementationWritesByteForByte() {
    byte[] written = Safetensors.write(new Parameters(REFERENCE_LAYOUT, REFERENCE_VALUES), REFERENCE_METADATA);
    assertThat(HexFormat.of().formatHex(written)).isEqualTo(HexFormat.of().formatHex(REFERENCE));
  }

  @Test
  void readsWhatTheReferenceImplementationWrote() {
    Parameters p = Safetensors.read(REFERENCE);
    assertThat(p.layout()).isEqualTo(REFERENCE_LAYOUT);
    assertThat(p.values()).containsExactly(REFERENCE_VALUES);
    assertThat(Safetensors.metadata(REFERENCE)).isEqualTo(REFERENCE_METADATA);
  }

  @Test
  void followsTheFormatsLayout() {
    var layout = new ParameterLayout(List.of(TensorSpec.of("a.weight", 3, 5), TensorSpec.of("a.bias", 3), TensorSpec.of("head", 1, 1, 2)));
    float[] values = new float[layout.size()];
    for (int i = 0; i < values.length; i++) values[i] = i * 0.5f - 3;
    byte[] file = Safetensors.write(new Parameters(layout, values), Map.of("k", "v"));

    ByteBuffer buf = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    long n = buf.getLong();
    assertThat(n % 8).isZero();
    String header = new String(file, 8, (int) n, StandardCharsets.UTF_8);
    assertThat(header).startsWith("{\"__metadata__\":{\"k\":\"v\"},");
    assertThat(header.stripTrailing()).endsWith("}");
    assertThat(header.length() - header.stripTrailing().length()).isLessThan(8);
    var entry = Pattern.compile("\"([^\"]+)\":\\{\"dtype\":\"F32\",\"shape\":\\[([0-9,]*)\\],\"data_offsets\":\\[(\\d+),(\\d+)\\]\\}");
    var matcher = entry.matcher(header);
    long expectedBegin = 0;
    var names = new ArrayList<String>();
    while (matcher.find()) {
      names.add(matcher.group(1));
      long begin = Long.parseLong(matcher.group(3));
      long end = Long.parseLong(matcher.group(4));
      assertThat(begin).isEqualTo(expectedBegin);
      expectedBegin = end;
    }
    assertThat(names).containsExactly("a.weight", "a.bias", "head");
    assertThat(file.length - 8 - n).isEqualTo(expectedBegin).isEqualTo(4L * values.length);
    buf.position((int) (8 + n));
    for (float v : values) assertThat(buf.getFloat()).isEqualTo(v);
  }

  @Test
  void leavesOutEmptyMetadata() {
    byte[] file = Safetensors.write(new Parameters(REFERENCE_LAYOUT, REFERENCE_VALUES), Map.of());
    assertThat(new String(file, 8, 20, StandardCharsets.UTF_8)).startsWith("{\"layer0.bias\":");
    assertThat(Safetensors.metadata(file)).isEmpty();
  }

  @Property(tries = 200)
  void roundTrips(@ForAll @IntRange(min = 1, max = 5) int tensors, @ForAll String note, @ForAll long seed) {
    var rng = new Random(seed);
    var specs = new ArrayList<TensorSpec>();
    for (int t = 0; t < tensors; t++) {
      int rank = rng.nextInt(4);
      int[] shape = new int[rank];
      for (int r = 0; r < rank; r++) shape[r] = 1 + rng.nextInt(6);
      specs.add(TensorSpec.of("t" + t + (rng.nextBoolean() ? ".weight" : " \"odd\" name\\é"), shape));
    }
    var layout = new ParameterLayout(specs);
    float[] values = new float[layout.size()];
    for (int i = 0; i < values.length; i++) values[i] = Float.intBitsToFloat(rng.nextInt()); // any bits, NaN included
    String safe = note.codePoints().anyMatch(cp -> cp >= 0xD800 && cp <= 0xDFFF) ? "x" : note;
    var metadata = Map.of("note", safe, "control\n\t\u0001", "\u0000\u001f\"\\/");
    byte[] file = Safetensors.write(new Parameters(layout, values), metadata);
    Parameters back = Safetensors.read(file);
    assertThat(back.layout()).isEqualTo(layout);
    for (int i = 0; i < values.length; i++) {
      assertThat(Float.floatToRawIntBits(back.values()[i])).isEqualTo(Float.floatToRawIntBits(values[i]));
    }
    assertThat(Safetensors.metadata(file)).isEqualTo(metadata);
  }

  /** A file with the given header text (padded to 8) and data bytes. */
  static byte[] file(String header, int dataBytes) {
    byte[] json = header.getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) & ~7;
    ByteBuffer buf = ByteBuffer.allocate(8 + padded + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    buf.putLong(padded).put(json);
    while (buf.position() < 8 + padded) buf.put((byte) ' ');
    for (int i = 0; i < dataBytes / 4; i++) buf.putFloat(i);
    return buf.array();
  }

  @Test
  void readsTensorsInDataOrderWhateverTheKeyOrder() {
    String header =
        " { \"z\" : {\"shape\": [2], \"dtype\": \"F32\", \"data_offsets\": [0, 8]},\n"
            + "\t\"a\": {\"data_offsets\": [8, 12], \"dtype\": \"F32\", \"shape\": [1], \"extra\": [true, null, -1.5e3]}}";
    Parameters p = Safetensors.read(file(header, 12));
    assertThat(p.layout().tensors()).extracting(TensorSpec::name).containsExactly("z", "a");
    assertThat(p.values()).containsExactly(0f, 1f, 2f);
  }

  static void assertRejected(byte[] file, String code) {
    assertThatThrownBy(() -> Safetensors.read(file))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo(code));
  }

  @Test
  void refusesMalformedFiles() {
    String ok = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    assertThat(Safetensors.read(file(ok, 8)).values()).containsExactly(0f, 1f);
    String m = "MALFORMED_SAFETENSORS";
    assertRejected(file(ok, 4), m); // data cut short
    assertRejected(file(ok, 12), m); // bytes beyond the last tensor
    assertRejected(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), m); // a hole
    assertRejected(
        file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8),
        m); // overlap
    assertRejected(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), m); // shape and span disagree
    assertRejected(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", 0), m); // empty tensor
    assertRejected(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{}}", 8), m); // duplicate key
    assertRejected(file("{\"__metadata__\":{\"n\":1},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), m);
    assertRejected(file("{\"__metadata__\":{}}", 0), m); // no tensor
    assertRejected(file("[" + "[".repeat(100) + "]".repeat(101), 0), m); // nesting
    assertRejected(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}} x", 8), m); // trailing text
    assertRejected(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,99999999999999999999]}}", 8), m);
    assertRejected(file("{\"a\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,8]}}", 8), "UNSUPPORTED_DTYPE");

    byte[] badUtf8 = file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
    badUtf8[10] = (byte) 0xff;
    assertRejected(badUtf8, m);

    byte[] hugeHeader = file(ok, 8);
    ByteBuffer.wrap(hugeHeader).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE);
    assertRejected(hugeHeader, m);
    ByteBuffer.wrap(hugeHeader).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -8);
    assertRejected(hugeHeader, m);
    assertRejected(new byte[5], m);
  }

  @Test
  void refusesEveryTruncation() {
    for (int length = 0; length < REFERENCE.length; length++) {
      assertRejected(Arrays.copyOf(REFERENCE, length), "MALFORMED_SAFETENSORS");
    }
  }

  @Property(tries = 1000)
  void corruptedFilesFailCleanly(@ForAll @IntRange(min = 0, max = 291) int position, @ForAll byte value, @ForAll @IntRange(min = 1, max = 3) int flips) {
    byte[] corrupted = REFERENCE.clone();
    for (int f = 0; f < flips; f++) corrupted[(position + 37 * f) % corrupted.length] = (byte) (value + f);
    try {
      Parameters p = Safetensors.read(corrupted);
      assertThat(p.values()).isNotNull();
    } catch (FedGridException e) {
      assertThat(e).isInstanceOf(InvalidRequestException.class);
    }
  }

  @Test
  void refusesToWriteWhatTheFormatCannotHold() {
    var metadataNamed = new ParameterLayout(List.of(TensorSpec.of("__metadata__", 1)));
    assertThatThrownBy(() -> Safetensors.write(new Parameters(metadataNamed, new float[1]), Map.of()))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_TENSOR"));
    assertThatThrownBy(() -> Safetensors.write(new Parameters(REFERENCE_LAYOUT, REFERENCE_VALUES), Map.of("k", "bad \ud800 surrogate")))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.code()).isEqualTo("INVALID_METADATA"));
  }
}
