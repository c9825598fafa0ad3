package dev.fedgrid.gateway.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.fedgrid.core.secagg.SecAggConfig;
import dev.fedgrid.core.secagg.SecAggMessage;
import dev.fedgrid.proto.fleet.v1.SecAggShare;
import dev.fedgrid.proto.fleet.v1.SecAggStage;
import dev.fedgrid.proto.fleet.v1.SecAggSubmitHeader;
import org.junit.jupiter.api.Test;

/** The shape checks of SecAgg+ submissions, before the round sees them, and the masked vector's wire form. */
class SecAggWireTest {
  private static final SecAggConfig CONFIG = SecAggConfig.builder(5, 10).maxWeight(1000).build();

  private static SecAggSubmitHeader.Builder header(SecAggStage stage) {
    return SecAggSubmitHeader.newBuilder().setTaskId("task_1").setStage(stage).setNode(1);
  }

  @Test
  void eachStageCarriesItsOwnFieldsOnly() {
    var keys = header(SecAggStage.SECAGG_STAGE_ADVERTISE_KEYS).setEncryptionKey(ByteString.copyFrom(new byte[32])).setMaskingKey(ByteString.copyFrom(new byte[32]));
    SecAggWire.checkHeader(keys.setExamples(10).build(), CONFIG);
    assertThatThrownBy(() -> SecAggWire.checkHeader(keys.setExamples(0).build(), CONFIG)).hasMessageContaining("at least 1");
    assertThatThrownBy(() -> SecAggWire.checkHeader(header(SecAggStage.SECAGG_STAGE_ADVERTISE_KEYS).setExamples(3).build(), CONFIG))
        .hasFieldOrPropertyWithValue("code", "SECAGG_BAD_HEADER");
    assertThatThrownBy(() -> SecAggWire.checkHeader(header(SecAggStage.SECAGG_STAGE_SHARE_KEYS).setMaskedSize(8).build(), CONFIG))
        .hasFieldOrPropertyWithValue("code", "SECAGG_BAD_HEADER");
    assertThatThrownBy(() -> SecAggWire.checkHeader(header(SecAggStage.SECAGG_STAGE_SHARE_KEYS).setExamples(5).build(), CONFIG))
        .hasMessageContaining("examples are reported with stage 1");
    assertThatThrownBy(() -> SecAggWire.checkHeader(header(SecAggStage.SECAGG_STAGE_UNSPECIFIED).build(), CONFIG)).hasMessageContaining("names its stage");
    var share = SecAggShare.newBuilder().setSender(1).setReceiver(2).setCiphertext(ByteString.copyFrom(new byte[3]));
    assertThatThrownBy(() -> SecAggWire.checkHeader(header(SecAggStage.SECAGG_STAGE_UNMASKING).addShares(share).build(), CONFIG))
        .hasFieldOrPropertyWithValue("code", "SECAGG_BAD_HEADER");
  }

  @Test
  void aMaskedVectorOfTheWrongSizeIsRefusedBeforeAnythingIsBuffered() {
    long expected = 11L * SecAggWire.wordBytes(CONFIG);
    SecAggWire.checkHeader(header(SecAggStage.SECAGG_STAGE_MASKED_INPUT).setMaskedSize(expected).build(), CONFIG);
    for (long wrong : new long[] {expected - 1, expected + SecAggWire.wordBytes(CONFIG), 0}) {
      assertThatThrownBy(() -> SecAggWire.checkHeader(header(SecAggStage.SECAGG_STAGE_MASKED_INPUT).setMaskedSize(wrong).build(), CONFIG))
          .as("%d bytes", wrong).hasFieldOrPropertyWithValue("code", "SECAGG_BAD_SIZE");
    }
  }

  @Test
  void wordsAreLittleEndianInCeilOfModulusBitsOverEightBytes() {
    var config = SecAggConfig.builder(3, 2).modulusBits(20).quantizationBits(8).build();
    assertThat(SecAggWire.wordBytes(config)).isEqualTo(3);
    byte[] bytes = {0x01, 0x02, 0x03, (byte) 0xFF, (byte) 0xFF, 0x0F, 0, 0, 0};
    var message = (SecAggMessage.MaskedInput) SecAggWire.fromClient(header(SecAggStage.SECAGG_STAGE_MASKED_INPUT).setMaskedSize(9).build(), bytes, config);
    assertThat(message.masked()).containsExactly(0x030201L, 0x0FFFFFL, 0L);
  }
}
