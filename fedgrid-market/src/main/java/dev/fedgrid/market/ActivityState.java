package dev.fedgrid.market;

/**
 * Where an activity stands (docs/market.md, "Activities"): created under an approved agreement
 * ({@code NEW}), a model deployed on the node ({@code DEPLOYED}), started and able to run and
 * transfer ({@code READY}), and {@code TERMINATED}, which is final. The commands that move it are
 * in {@link ActivityScript}'s table.
 */
public enum ActivityState {
  NEW,
  DEPLOYED,
  READY,
  TERMINATED;

  /** Whether no command can move the activity any more. */
  public boolean isFinal() {
    return this == TERMINATED;
  }
}
