package dev.fedgrid.custodian;

import dev.fedgrid.api.model.SealedArtifact;
import dev.fedgrid.api.ArtifactId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.FedGridException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Shamir sharing of data keys and AES-GCM sealing: any k shares open, k - 1 do not. */
class DataKeysTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final List<String> CUSTODIANS = List.of("https://a.example.org:7700", "https://b.example.org:7700", "https://c.example.org:7700",
      "https://d.example.org:7700", "https://e.example.org:7700");

  @Test
  void everySubsetOfThresholdSharesReconstructsTheKeyAndEverySmallerOneDoesNot() {
    for (int n = 2; n <= 5; n++) {
      for (int k = 2; k <= n; k++) {
        byte[] key = DataKeys.fresh(RANDOM);
        List<KeyShare> shares = DataKeys.split(key, k, n, RANDOM);
        for (int mask = 1; mask < (1 << n); mask++) {
          var subset = new ArrayList<KeyShare>();
          for (int i = 0; i < n; i++) if ((mask & (1 << i)) != 0) subset.add(shares.get(i));
          byte[] combined = DataKeys.combine(subset);
          if (subset.size() >= k) assertThat(combined).as("%d of %d, subset %s", k, n, Integer.toBinaryString(mask)).isEqualTo(key);
          else assertThat(combined).as("%d of %d, subset %s", k, n, Integer.toBinaryString(mask)).isNotEqualTo(key);
        }
      }
    }
  }

  @Test
  void aSealedArtifactOpensWithThresholdSharesOnlyAndOnlyUnderItsOwnId() {
    byte[] plaintext = "{\"layers\":[{\"type\":\"dense\",\"units\":1}],\"loss\":\"binary_cross_entropy\",\"canary\":\"CANARY-7f3a\"}".getBytes(StandardCharsets.UTF_8);
    ConfidentialBox.Sealed sealed = ConfidentialBox.seal(plaintext, ArtifactId.random(), CUSTODIANS.subList(0, 3), 2, RANDOM);
    SealedArtifact a = sealed.artifact();
    assertThat(a.ciphertext()).doesNotContain("CANARY");
    assertThat(new String(java.util.Base64.getDecoder().decode(a.ciphertext()), StandardCharsets.ISO_8859_1)).doesNotContain("CANARY");

    assertThat(ConfidentialBox.open(a, DataKeys.combine(sealed.shares().subList(1, 3)))).isEqualTo(plaintext);
    for (KeyShare one : sealed.shares()) {
      assertThatThrownBy(() -> ConfidentialBox.open(a, DataKeys.combine(List.of(one))))
          .isInstanceOf(FedGridException.class).extracting(e -> ((FedGridException) e).code()).isEqualTo("ARTIFACT_DECRYPTION_FAILED");
    }
    var moved = new SealedArtifact(ArtifactId.random(), a.algorithm(), a.nonce(), a.ciphertext(), a.custodians(), a.threshold());
    assertThatThrownBy(() -> ConfidentialBox.open(moved, DataKeys.combine(sealed.shares())))
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("ARTIFACT_DECRYPTION_FAILED");
    assertThat(sealed.shares().getFirst().toString()).doesNotContain(java.util.Base64.getEncoder().encodeToString(sealed.shares().getFirst().value()));
  }

  @Test
  void badThresholdsAndCustodianListsAreRefusedWithTheirCodes() {
    assertThatThrownBy(() -> ConfidentialBox.seal(new byte[1], ArtifactId.random(), CUSTODIANS.subList(0, 3), 1, RANDOM))
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("INVALID_THRESHOLD");
    assertThatThrownBy(() -> ConfidentialBox.seal(new byte[1], ArtifactId.random(), CUSTODIANS.subList(0, 2), 3, RANDOM))
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("INVALID_THRESHOLD");
    assertThatThrownBy(() -> ConfidentialBox.seal(new byte[1], ArtifactId.random(), List.of("http://a.example.org", "https://b.example.org"), 2, RANDOM))
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("INVALID_CUSTODIAN_URL");
    assertThatThrownBy(() -> ConfidentialBox.seal(new byte[1], ArtifactId.random(), List.of(CUSTODIANS.get(0), CUSTODIANS.get(0)), 2, RANDOM))
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("INVALID_SEALED_ARTIFACT");
    assertThatThrownBy(() -> ArtifactId.of("art_../../etc")).extracting(e -> ((FedGridException) e).code()).isEqualTo("INVALID_ARTIFACT_ID");
    assertThatThrownBy(() -> new KeyShare(0, new byte[32])).extracting(e -> ((FedGridException) e).code()).isEqualTo("INVALID_SHARE");
  }
}
