package dev.fedgrid.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Signed results: what a signature covers, and that it verifies only with its signer's certificate. */
class ResultSignerTest {
  @TempDir Path tmp;
  private TlsMaterial a;
  private TlsMaterial b;

  @BeforeEach
  void issue() {
    ProjectCa ca = ProjectCa.create(tmp.resolve("pki"), ProjectCa.DEFAULT_NAME, ProjectCa.DEFAULT_VALIDITY, InstantSource.system());
    a = TlsMaterial.load(ca.issue(IssueRequest.of(CertificateRole.NODE, "node-a")).directory(), InstantSource.system());
    b = TlsMaterial.load(ca.issue(IssueRequest.of(CertificateRole.NODE, "node-b")).directory(), InstantSource.system());
  }

  private static ResultStatement.Update update(String task, long examples, Map<String, Double> metrics, byte[] parameters) {
    return new ResultStatement.Update(task, "job_1", 3, "fit", examples, 500, metrics, ResultStatement.sha256(parameters));
  }

  @Test
  void aSignatureVerifiesWithItsSignersCertificateOnly() {
    var statement = update("task_1", 100, Map.of("loss", 0.25), new byte[] {1, 2, 3});
    byte[] signature = ResultSigner.of(a).sign(statement);

    assertThat(signature.length).isLessThanOrEqualTo(72); // ECDSA P-256, DER
    assertThat(ResultSigner.verify(a.certificate(), statement, signature)).isTrue();
    assertThat(ResultSigner.verify(b.certificate(), statement, signature)).as("another node's certificate").isFalse();
  }

  @Test
  void everyFieldIsCovered() {
    var metrics = Map.of("loss", 0.25, "accuracy", 0.9);
    byte[] parameters = {1, 2, 3};
    var signed = update("task_1", 100, metrics, parameters);
    byte[] signature = ResultSigner.of(a).sign(signed);

    List<ResultStatement> changed = List.of(
        update("task_2", 100, metrics, parameters),
        new ResultStatement.Update("task_1", "job_2", 3, "fit", 100, 500, metrics, ResultStatement.sha256(parameters)),
        new ResultStatement.Update("task_1", "job_1", 4, "fit", 100, 500, metrics, ResultStatement.sha256(parameters)),
        new ResultStatement.Update("task_1", "job_1", 3, "evaluate", 100, 500, metrics, ResultStatement.sha256(parameters)),
        update("task_1", 101, metrics, parameters),
        new ResultStatement.Update("task_1", "job_1", 3, "fit", 100, 501, metrics, ResultStatement.sha256(parameters)),
        update("task_1", 100, Map.of("loss", 0.25, "accuracy", 0.91), parameters),
        update("task_1", 100, Map.of("loss", 0.25), parameters),
        update("task_1", 100, Map.of("loss", 0.25, "accuracy", 0.9, "x", 0.0), parameters),
        update("task_1", 100, metrics, new byte[] {1, 2, 4}),
        new ResultStatement.Failure("task_1", "job_1", 3, "out of memory"));
    for (ResultStatement c : changed) {
      assertThat(ResultSigner.verify(a.certificate(), c, signature)).as("%s", c).isFalse();
    }
    // the order metrics arrive in does not matter: the digest sorts them
    var reordered = new LinkedHashMap<String, Double>();
    reordered.put("loss", 0.25);
    reordered.put("accuracy", 0.9);
    assertThat(ResultSigner.verify(a.certificate(), update("task_1", 100, reordered, parameters), signature)).isTrue();
  }

  @Test
  void theEncodingIsUnambiguous() {
    // without length prefixes these two would hash alike
    var one = new ResultStatement.Failure("task_1", "job_1", 3, "ab");
    var two = new ResultStatement.Failure("task_1", "job_1" + "\0\0\0\3", 3, "b");
    assertThat(one.digest()).isNotEqualTo(two.digest()).hasSize(32);
    assertThat(new ResultStatement.Failure("a", "bc", 0, "").digest()).isNotEqualTo(new ResultStatement.Failure("ab", "c", 0, "").digest());
  }

  @Test
  void aFailureReportIsSignedToo() {
    var failure = new ResultStatement.Failure("task_1", "job_1", 3, "dataset cancer has no test split");
    byte[] signature = ResultSigner.of(b).sign(failure);
    assertThat(ResultSigner.verify(b.certificate(), failure, signature)).isTrue();
    assertThat(ResultSigner.verify(b.certificate(), new ResultStatement.Failure("task_1", "job_1", 3, "something else"), signature)).isFalse();
  }

  @Test
  void malformedSignaturesAreInvalidNotErrors() {
    var statement = update("task_1", 1, Map.of(), new byte[0]);
    assertThat(ResultSigner.verify(a.certificate(), statement, new byte[0])).isFalse();
    assertThat(ResultSigner.verify(a.certificate(), statement, null)).isFalse();
    assertThat(ResultSigner.verify(a.certificate(), statement, "not DER".getBytes(StandardCharsets.US_ASCII))).isFalse();
    assertThat(ResultSigner.verify(a.certificate(), statement, new byte[ResultSigner.MAX_SIGNATURE_BYTES + 1])).isFalse();
  }

  @Test
  void theSignerNeverShowsItsKey() {
    assertThat(ResultSigner.of(a).toString()).contains("CN=node-a").doesNotContain("PRIVATE");
  }
}
