package dev.fedgrid.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.Visibility;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DatasetOptionTest {
  @Test
  void parsesEveryKeyWithTagsContinuingAcrossCommas() {
    DatasetOption d = DatasetOption.parse(
        "name=cancer,path=data/breast_cancer_wisconsin.csv,label=benign,test=0.25,tags=health,oncology,visibility=public,ignore=id;site,seed=7");

    assertThat(d.name()).isEqualTo("cancer");
    assertThat(d.path()).isEqualTo(Path.of("data/breast_cancer_wisconsin.csv"));
    assertThat(d.label()).contains("benign");
    assertThat(d.testFraction()).isEqualTo(0.25);
    assertThat(d.tags()).containsExactly("health", "oncology");
    assertThat(d.visibility()).isEqualTo(Visibility.PUBLIC);
    assertThat(d.format()).isEqualTo(DatasetFormat.CSV);
    assertThat(d.ignoreColumns()).containsExactly("id", "site");
    assertThat(d.seed()).isEqualTo(7);
  }

  @Test
  void labelKindIsParsedRefusedWhenUnknownAndRoundTrips() {
    DatasetOption skewed = DatasetOption.parse("name=cancer,path=a.csv,label=benign,kind=Categorical");
    assertThat(skewed.labelKind()).contains(dev.fedgrid.api.dataset.LabelKind.CATEGORICAL);
    assertThat(DatasetOption.parse(skewed.toOptionString())).isEqualTo(skewed);
    assertThat(DatasetOption.parse("name=d,path=a.csv,label=y").labelKind()).isEmpty();
    assertThatThrownBy(() -> DatasetOption.parse("name=d,path=a.csv,label=y,kind=ordinal"))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("kind=ordinal is not categorical or continuous");
    assertThatThrownBy(() -> DatasetOption.parse("name=d,path=images,format=idx,kind=continuous"))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("IDX labels are always categorical");
  }

  @Test
  void appliesDefaults() {
    DatasetOption d = DatasetOption.parse("name=diabetes,path=data/diabetes.csv,label=progression");

    assertThat(d.testFraction()).isEqualTo(0.2);
    assertThat(d.tags()).isEmpty();
    assertThat(d.visibility()).isEqualTo(Visibility.PRIVATE);
    assertThat(d.ignoreColumns()).isEmpty();
    assertThat(d.seed()).isEqualTo(42);
  }

  @Test
  void keysMayComeInAnyOrderAndTagsMayBeLast() {
    DatasetOption d = DatasetOption.parse("path=x.csv,tags=a,b,c,label=y,name=n");
    assertThat(d.tags()).containsExactly("a", "b", "c");
    assertThat(d.label()).contains("y");
  }

  @Test
  void aPathMayContainCommas() {
    assertThat(DatasetOption.parse("name=n,path=data/a,b.csv,label=y").path()).isEqualTo(Path.of("data/a,b.csv"));
  }

  @Test
  void aDirectoryIsIdxAndNeedsNoLabel(@TempDir Path dir) throws Exception {
    Path mnist = Files.createDirectory(dir.resolve("mnist"));
    DatasetOption d = DatasetOption.parse("name=mnist,path=" + mnist);

    assertThat(d.format()).isEqualTo(DatasetFormat.IDX);
    assertThat(d.label()).isEmpty();
  }

  @Test
  void anExplicitFormatWins() {
    assertThat(DatasetOption.parse("name=n,path=rows.txt,label=y,format=csv").format()).isEqualTo(DatasetFormat.CSV);
  }

  @Test
  void roundTripsThroughItsOptionString() {
    DatasetOption d = DatasetOption.parse("name=cancer,path=data/x.csv,label=benign,tags=health,oncology,ignore=a;b,seed=3");
    assertThat(DatasetOption.parse(d.toOptionString())).isEqualTo(d);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "name=n,path=x.csv,lable=y                  | unknown key 'lable'; valid keys: name, path, label, test, tags, visibility, format, ignore, seed",
      "path=x.csv,label=y                         | has no name=",
      "name=n,label=y                             | has no path=",
      "name=n,path=x.csv                          | needs label=COLUMN",
      "name=n,path=x.csv,label=y,test=1.5         | test must be in [0, 1)",
      "name=n,path=x.csv,label=y,test=lots        | test=lots is not a number",
      "name=n,path=x.csv,label=y,visibility=world | visibility=world must be public or private",
      "name=n,path=x.csv,label=y,format=parquet   | format=parquet must be csv or idx",
      "name=n,path=x.csv,label=y,seed=4.5         | seed=4.5 is not a whole number",
      "name=n,path=x.csv,label=y,name=m           | gives name= twice",
      "name=n,path=rows.txt,label=y               | cannot tell the format of 'rows.txt'",
      "name=n,path=x.csv,label=y,tags=Health      | tag 'Health' must be",
      "name=N!,path=x.csv,label=y                 | name 'N!' must be",
      "name=n,path=x.csv,label=                   | empty value for label=",
      "name=n,path=x.csv,label=y,tags=a,,b        | empty item",
      "cancer,path=x.csv                          | must start with key=value",
      "name=n,path=x.csv,label=y,ignore=y         | the label column 'y' is also listed in ignore",
  })
  void refusesBadOptionsNamingTheProblem(String option, String message) {
    assertThatThrownBy(() -> DatasetOption.parse(option))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining(message)
        .extracting(e -> ((InvalidRequestException) e).code())
        .isEqualTo("INVALID_DATASET_OPTION");
  }

  @Test
  void refusesAnEmptyOption() {
    assertThatThrownBy(() -> DatasetOption.parse(" ")).hasMessageContaining("valid keys");
  }

  @Test
  void theRecordChecksItsFieldsToo() {
    assertThatThrownBy(() -> new DatasetOption("n", Path.of("x.csv"), Optional.empty(), 0.2, List.of(), null, DatasetFormat.CSV, List.of(), 1, Optional.empty()))
        .hasMessageContaining("needs label=COLUMN");
  }
}
