package dev.fedgrid.market;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.InvalidRequestException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A script: commands the node executes in order, stopping at the first that fails. The activity
 * transition table lives here and is enforced twice by the gateway: a whole script is checked
 * against the activity's state before it is queued ({@link #check}), so an impossible script is
 * refused naming the command's index and changes nothing, and each result the node reports moves
 * the stored state by {@link #after} only when the command succeeded.
 *
 * <table>
 *   <caption>The table</caption>
 *   <tr><th>from</th><th>command</th><th>to</th></tr>
 *   <tr><td>NEW, DEPLOYED</td><td>deploy</td><td>DEPLOYED</td></tr>
 *   <tr><td>DEPLOYED</td><td>start</td><td>READY</td></tr>
 *   <tr><td>READY</td><td>run</td><td>READY</td></tr>
 *   <tr><td>DEPLOYED, READY</td><td>transfer</td><td>the same</td></tr>
 *   <tr><td>NEW, DEPLOYED, READY</td><td>terminate</td><td>TERMINATED</td></tr>
 * </table>
 *
 * <p>Immutable and thread-safe.
 */
public record ActivityScript(List<ActivityCommand> commands) {
  /** At most this many commands per script. */
  public static final int MAX_COMMANDS = 64;

  public ActivityScript {
    commands = List.copyOf(Objects.requireNonNull(commands, "commands"));
    if (commands.isEmpty()) throw new InvalidRequestException("INVALID_SCRIPT", "a script needs at least one command", Map.of("field", "commands"));
    if (commands.size() > MAX_COMMANDS) {
      throw new InvalidRequestException(
          "INVALID_SCRIPT", "a script has at most " + MAX_COMMANDS + " commands, got " + commands.size() + "; split it", Map.of("field", "commands"));
    }
  }

  /**
   * The state the script leaves an activity in when every command succeeds.
   *
   * @throws ConflictException {@code ACTIVITY_STATE_CONFLICT} naming the first command the table
   *     does not allow, with {@code details.index}, {@code details.command} and {@code details.state}
   */
  public ActivityState check(ActivityState from) {
    ActivityState state = from;
    for (int i = 0; i < commands.size(); i++) state = after(state, commands.get(i), i);
    return state;
  }

  /**
   * The state after {@code command} succeeded in state {@code from}.
   *
   * @throws ConflictException {@code ACTIVITY_STATE_CONFLICT} when the table has no such rule
   */
  public static ActivityState after(ActivityState from, ActivityCommand command) {
    return after(from, command, -1);
  }

  /** The commands the table allows in {@code state}, for messages. */
  public static List<String> allowedIn(ActivityState state) {
    return Stream.of("deploy", "start", "run", "transfer", "terminate").filter(c -> target(state, c) != null).toList();
  }

  private static ActivityState after(ActivityState from, ActivityCommand command, int index) {
    ActivityState to = target(from, command.name());
    if (to != null) return to;
    var details = new LinkedHashMap<String, Object>();
    if (index >= 0) details.put("index", index);
    details.put("command", command.name());
    details.put("state", from.name());
    List<String> allowed = allowedIn(from);
    String where = index >= 0 ? "command " + index + " (" + command.name() + ")" : command.name();
    throw new ConflictException(
        "ACTIVITY_STATE_CONFLICT",
        where + " is not allowed when the activity is " + from + (allowed.isEmpty() ? "; it is final" : "; allowed: " + allowed.stream().collect(Collectors.joining(", "))),
        details);
  }

  /** The table: the state {@code command} leads to from {@code from}, or null. */
  private static ActivityState target(ActivityState from, String command) {
    return switch (command) {
      case "deploy" -> from == ActivityState.NEW || from == ActivityState.DEPLOYED ? ActivityState.DEPLOYED : null;
      case "start" -> from == ActivityState.DEPLOYED ? ActivityState.READY : null;
      case "run" -> from == ActivityState.READY ? ActivityState.READY : null;
      case "transfer" -> from == ActivityState.DEPLOYED || from == ActivityState.READY ? from : null;
      case "terminate" -> from.isFinal() ? null : ActivityState.TERMINATED;
      default -> null;
    };
  }
}
