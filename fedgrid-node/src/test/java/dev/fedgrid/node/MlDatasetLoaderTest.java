package dev.fedgrid.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.LabelKind;
import dev.fedgrid.api.dataset.Visibility;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The glue from {@code --dataset} options to fedgrid-ml's readers, on the vendored data. */
class MlDatasetLoaderTest {
  private static final Path CANCER = Path.of("..", "data", "breast_cancer_wisconsin.csv");

  @Test
  void loadsACsvDatasetWithTheOptionsSettings() {
    DatasetLoader.Loaded d = new MlDatasetLoader().load(
        DatasetOption.parse("name=cancer,path=" + CANCER + ",label=benign,test=0.25,tags=health,oncology,visibility=public,ignore=area_se"));

    DatasetMetadata m = d.metadata();
    assertThat(m.name()).isEqualTo("cancer");
    assertThat(m.featureShape()).containsExactly(29);
    assertThat(m.trainRows() + m.testRows()).isEqualTo(569);
    assertThat(m.testRows()).isBetween(130L, 155L);
    assertThat(m.label().column()).isEqualTo("benign");
    assertThat(m.label().kind()).isEqualTo(LabelKind.CATEGORICAL);
    assertThat(m.tags()).containsExactly("health", "oncology");
    assertThat(m.visibility()).isEqualTo(Visibility.PUBLIC);
    assertThat(d.train().rows()).isEqualTo(m.trainRows());
    assertThat(d.test().rows()).isEqualTo(m.testRows());
  }

  @Test
  void aMissingFileIsAClearError(@TempDir Path dir) {
    assertThatThrownBy(() -> new MlDatasetLoader().load(DatasetOption.parse("name=gone,path=" + dir.resolve("gone.csv") + ",label=y")))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("gone.csv");
    assertThatThrownBy(() -> new MlDatasetLoader().load(DatasetOption.parse("name=gone,path=" + dir.resolve("nothing") + ",format=idx")))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("nothing");
  }
}
