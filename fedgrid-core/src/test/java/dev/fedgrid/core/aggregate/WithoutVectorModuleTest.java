package dev.fedgrid.core.aggregate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.UnavailableException;
import dev.fedgrid.api.model.Parameters;
import java.io.File;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link Main} in a child JVM started without {@code --add-modules jdk.incubator.vector}, to
 * prove that aggregation falls back to the plain kernel and never loads a Vector API class.
 */
class WithoutVectorModuleTest {
  /** Entry point of the child JVM. */
  public static final class Main {
    public static void main(String[] args) {
      var sum = new WeightedSum(37);
      for (int k = 1; k <= 6; k++) {
        float[] u = new float[37];
        Arrays.fill(u, k);
        sum.add(u, 1);
      }
      float[] mean = sum.mean();
      boolean vectorLoaded = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
      try {
        new WeightedSum(3, Kernel.VECTOR);
        System.out.println("vector-kernel-created");
      } catch (UnavailableException e) {
        System.out.println(e.code());
      }
      System.out.println(sum.kernel() + " " + mean[0] + " " + mean[36] + " module=" + vectorLoaded);
    }
  }

  @Test
  void aggregatesWithThePlainKernelWhenTheModuleIsAbsent() throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classpath = String.join(File.pathSeparator, location(WeightedSum.class), location(Main.class), location(Parameters.class));
    var process =
        new ProcessBuilder(List.of(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", classpath, Main.class.getName()))
            .redirectErrorStream(true)
            .start();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.exitValue()).as(output).isZero();
    assertThat(output).contains("VECTOR_API_UNAVAILABLE").contains("PLAIN 3.5 3.5 module=false").doesNotContain("Exception");
  }

  private static String location(Class<?> type) throws URISyntaxException {
    return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }
}
