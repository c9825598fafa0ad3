package dev.fedgrid.market;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.market.ActivityCommand.Deploy;
import dev.fedgrid.market.ActivityCommand.Endpoint;
import dev.fedgrid.market.ActivityCommand.ParameterSource;
import dev.fedgrid.market.ActivityCommand.Run;
import dev.fedgrid.market.ActivityCommand.RunKind;
import dev.fedgrid.market.ActivityCommand.Start;
import dev.fedgrid.market.ActivityCommand.Terminate;
import dev.fedgrid.market.ActivityCommand.Transfer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class ActivityScriptTest {
  static final Deploy DEPLOY = new Deploy(ModelSpec.logisticRegression(), DatasetId.random(), ParameterSource.INITIAL, 7);
  static final Run RUN = new Run(RunKind.FIT, null, TrainingConfig.defaults(), true);
  static final Transfer TRANSFER = new Transfer(Endpoint.ACTIVITY, Endpoint.GATEWAY);
  static final List<ActivityCommand> COMMANDS = List.of(DEPLOY, new Start(), RUN, TRANSFER, new Terminate());

  /** The table of docs/market.md, written out by hand: "STATE command" to the next state. */
  static final Map<String, ActivityState> ALLOWED = Map.ofEntries(
      Map.entry("NEW deploy", ActivityState.DEPLOYED),
      Map.entry("DEPLOYED deploy", ActivityState.DEPLOYED),
      Map.entry("DEPLOYED start", ActivityState.READY),
      Map.entry("READY run", ActivityState.READY),
      Map.entry("DEPLOYED transfer", ActivityState.DEPLOYED),
      Map.entry("READY transfer", ActivityState.READY),
      Map.entry("NEW terminate", ActivityState.TERMINATED),
      Map.entry("DEPLOYED terminate", ActivityState.TERMINATED),
      Map.entry("READY terminate", ActivityState.TERMINATED));

  @Test
  void everyPairOfStateAndCommandFollowsTheTable() {
    int allowed = 0;
    for (ActivityState s : ActivityState.values()) {
      for (ActivityCommand c : COMMANDS) {
        ActivityState expected = ALLOWED.get(s + " " + c.name());
        if (expected != null) {
          assertThat(ActivityScript.after(s, c)).as(s + " " + c.name()).isEqualTo(expected);
          allowed++;
        } else {
          assertThatThrownBy(() -> ActivityScript.after(s, c))
              .as(s + " " + c.name())
              .isInstanceOfSatisfying(ConflictException.class, e -> {
                assertThat(e.code()).isEqualTo("ACTIVITY_STATE_CONFLICT");
                assertThat(e.details()).containsEntry("state", s.name()).containsEntry("command", c.name());
              });
        }
      }
    }
    assertThat(allowed).isEqualTo(ALLOWED.size());
  }

  @Test
  void theWholeLifecycleIsOneValidScript() {
    assertThat(new ActivityScript(COMMANDS).check(ActivityState.NEW)).isEqualTo(ActivityState.TERMINATED);
  }

  @Test
  void anImpossibleScriptNamesTheIndexOfItsFirstBadCommand() {
    var script = new ActivityScript(List.of(DEPLOY, RUN, new Terminate()));
    assertThatThrownBy(() -> script.check(ActivityState.NEW))
        .isInstanceOfSatisfying(ConflictException.class, e -> {
          assertThat(e.details()).containsEntry("index", 1).containsEntry("command", "run").containsEntry("state", "DEPLOYED");
          assertThat(e.getMessage()).contains("command 1 (run)", "DEPLOYED", "allowed: deploy, start, transfer, terminate");
        });
  }

  @Test
  void aTerminatedActivityAcceptsNothing() {
    assertThat(ActivityScript.allowedIn(ActivityState.TERMINATED)).isEmpty();
    assertThatThrownBy(() -> new ActivityScript(List.of(new Terminate())).check(ActivityState.TERMINATED))
        .isInstanceOf(ConflictException.class)
        .hasMessageContaining("it is final");
  }

  @Test
  void scriptsAreNeitherEmptyNorHuge() {
    assertThatThrownBy(() -> new ActivityScript(List.of())).isInstanceOf(InvalidRequestException.class).hasMessageContaining("at least one");
    var many = Collections.nCopies(ActivityScript.MAX_COMMANDS + 1, (ActivityCommand) RUN);
    assertThatThrownBy(() -> new ActivityScript(many)).isInstanceOf(InvalidRequestException.class).hasMessageContaining("at most 64");
  }

  @Test
  void onlyTheTwoTransferDirectionsExist() {
    new Transfer(Endpoint.JOB, Endpoint.ACTIVITY);
    new Transfer(Endpoint.ACTIVITY, Endpoint.GATEWAY);
    for (Endpoint from : Endpoint.values()) {
      for (Endpoint to : Endpoint.values()) {
        boolean ok = (from == Endpoint.JOB && to == Endpoint.ACTIVITY) || (from == Endpoint.ACTIVITY && to == Endpoint.GATEWAY);
        if (!ok) assertThatThrownBy(() -> new Transfer(from, to)).isInstanceOf(InvalidRequestException.class);
      }
    }
  }

  /** Whatever the commands, a checked script's state is the one the table reaches step by step, and no rule outside the table is taken. */
  @Property
  void checkAgreesWithStepwiseApplication(@ForAll("scripts") List<ActivityCommand> commands) {
    ActivityState state = ActivityState.NEW;
    Integer failedAt = null;
    for (int i = 0; i < commands.size(); i++) {
      ActivityState next = ALLOWED.get(state + " " + commands.get(i).name());
      if (next == null) {
        failedAt = i;
        break;
      }
      state = next;
    }
    var script = new ActivityScript(commands);
    if (failedAt == null) {
      assertThat(script.check(ActivityState.NEW)).isEqualTo(state);
    } else {
      int index = failedAt;
      assertThatThrownBy(() -> script.check(ActivityState.NEW))
          .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.details()).containsEntry("index", index));
    }
  }

  @Provide
  Arbitrary<List<ActivityCommand>> scripts() {
    return Arbitraries.of(new ArrayList<>(COMMANDS)).list().ofMinSize(1).ofMaxSize(12);
  }
}
