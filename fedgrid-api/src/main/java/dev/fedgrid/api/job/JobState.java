package dev.fedgrid.api.job;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Where a job is in its life: {@code queued -> running -> completed | failed | cancelled}; a
 * queued job may also be cancelled. The last three are terminal.
 */
public enum JobState {
  @JsonProperty("queued")
  QUEUED,
  @JsonProperty("running")
  RUNNING,
  @JsonProperty("completed")
  COMPLETED,
  @JsonProperty("failed")
  FAILED,
  @JsonProperty("cancelled")
  CANCELLED;

  public boolean isTerminal() {
    return this == COMPLETED || this == FAILED || this == CANCELLED;
  }

  /** Whether the state machine allows moving from this state to {@code next}. */
  public boolean canMoveTo(JobState next) {
    return switch (this) {
      case QUEUED -> next == RUNNING || next == CANCELLED || next == FAILED;
      case RUNNING -> next == COMPLETED || next == FAILED || next == CANCELLED;
      case COMPLETED, FAILED, CANCELLED -> false;
    };
  }

  /** The lower-case wire name. */
  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
