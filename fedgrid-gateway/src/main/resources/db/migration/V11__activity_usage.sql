-- Metering of activities, version 11 (docs/market.md, "Metering"): what each successful command of
-- an activity's scripts used, written by ActivityStore in the transaction that stores the command's
-- result. Same conventions as V1, V8 and V9, and:
--
-- * An agreement's usage is the sum of its market_usage rows (job rounds) and of these rows; its
--   debit notes price that sum. The contribution report of jobs reads rounds only.
-- * command: the command's kind as priced ahead of time at the hard cap ('run:fit', 'run:evaluate',
--   'deploy', 'transfer:job>activity', ...).
-- * examples_epochs: a fit's examples (at most the dataset's training rows) times its epochs.
--   cpu_micros: the node's engine-thread CPU time for the command. bytes_moved: parameters the
--   gateway streamed to the node or received from it for the command.
-- * started_at on a batch: when it was handed to the node; bounds the CPU time a result may claim.

CREATE TABLE market_activity_usage (
  batch_id        TEXT    NOT NULL REFERENCES market_activity_batches (id),
  idx             INTEGER NOT NULL,
  activity_id     TEXT    NOT NULL REFERENCES market_activities (id),
  agreement_id    TEXT    NOT NULL REFERENCES market_agreements (id),
  command         TEXT    NOT NULL,
  examples_epochs BIGINT  NOT NULL,
  cpu_micros      BIGINT  NOT NULL,
  bytes_moved     BIGINT  NOT NULL,
  recorded_at     TEXT    NOT NULL,
  PRIMARY KEY (batch_id, idx)
);

CREATE INDEX market_activity_usage_by_agreement ON market_activity_usage (agreement_id);
CREATE INDEX market_activity_usage_by_activity ON market_activity_usage (activity_id, command);

ALTER TABLE market_activity_batches ADD COLUMN started_at TEXT;
