package dev.fedgrid.client;

import java.time.Instant;

/**
 * One event of a job as the client sees it in a watch stream, for example {@code round_completed}
 * with the message {@code "round 3/10: accuracy 0.912, loss 0.231 (3/3 updates, 455 examples)"}.
 *
 * <p>Types the gateway sends today: {@code queued}, {@code started}, {@code resuming}, {@code
 * resumed}, {@code round_started}, {@code round_completed}, {@code node_failed}, {@code
 * completed}, {@code failed} and {@code cancelled}; treat others as informational.
 *
 * @param seq the event's sequence number within its job, from 1
 * @param type the event's type
 * @param message what happened, for people
 * @param at when it happened, or {@code null} when the gateway did not say
 */
public record JobEventView(long seq, String type, String message, Instant at) {}
