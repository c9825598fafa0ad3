package dev.fedgrid.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `fedgrid demo` can be run again in the same directory: what the last run left is cleared first. */
class DemoResetTest {
  @TempDir Path dir;

  @Test
  void aSecondDemoStartsWithoutTheFirstOnesStateOrCa() throws Exception {
    for (String sub : List.of("gateway", "nodes/hospital-1", "data", "logs", "models", "pki/issued")) {
      Files.createDirectories(dir.resolve(sub));
      Files.writeString(dir.resolve(sub).resolve("left-over"), "from the last run");
    }
    Files.writeString(dir.resolve("pki").resolve("ca.pem"), "an old throw-away CA");
    Files.writeString(dir.resolve("notes.txt"), "the user's own file");

    DemoCommand.reset(dir);

    for (String sub : List.of("gateway", "nodes", "data", "logs", "models", "pki")) {
      assertThat(dir.resolve(sub)).as(sub).doesNotExist();
    }
    assertThat(dir.resolve("notes.txt")).hasContent("the user's own file");
    DemoCommand.reset(dir); // nothing left to clear: still fine
    assertThat(dir).isDirectory();
  }
}
