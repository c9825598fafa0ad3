-- Activities under market agreements, version 10 (docs/market.md, "Activities"). Read and written
-- by ActivityStore; the rules (the activity table, who may do what) are applied by Activities
-- inside the transaction that writes the rows. Same conventions as V1 and V7.
--
-- * state: ActivityState's names. parameters: the tensor-codec bytes the node last sent with a
--   transfer to the gateway (held like a job's result, never served raw), with their SHA-256.
-- * A batch is one submitted script. state: 'queued' (waiting for the node) | 'running' (handed to
--   the node) | 'done' | 'failed' (a command failed; the rest did not run) | 'cancelled' (the
--   activity was terminated first). script: the commands as submitted, normalized JSON.
-- * Results and log lines hold numbers, messages written by the node's code and a parameter digest;
--   log lines are rendered by the gateway from a template and numbers (ActivityLogTemplate).

CREATE TABLE market_activities (
  id                TEXT    NOT NULL PRIMARY KEY,
  agreement_id      TEXT    NOT NULL REFERENCES market_agreements (id),
  job_id            TEXT    NOT NULL,
  node_id           TEXT    NOT NULL,
  requestor         TEXT    NOT NULL,
  state             TEXT    NOT NULL,
  reason            TEXT    NOT NULL,
  created_at        TEXT    NOT NULL,
  updated_at        TEXT    NOT NULL,
  parameters        BLOB,
  parameters_digest TEXT,
  log_lines         INTEGER NOT NULL
);

CREATE INDEX market_activities_by_requestor ON market_activities (requestor, id);
CREATE INDEX market_activities_by_node ON market_activities (node_id, state);

CREATE TABLE market_activity_batches (
  id           TEXT    NOT NULL PRIMARY KEY,
  activity_id  TEXT    NOT NULL REFERENCES market_activities (id),
  state        TEXT    NOT NULL,
  script       TEXT    NOT NULL,
  commands     INTEGER NOT NULL,
  submitted_by TEXT    NOT NULL,
  submitted_at TEXT    NOT NULL,
  finished_at  TEXT
);

CREATE INDEX market_activity_batches_by_activity ON market_activity_batches (activity_id, id);
CREATE INDEX market_activity_batches_by_state ON market_activity_batches (state, id);

-- One row per executed command; idx is the command's index in its script.
CREATE TABLE market_activity_results (
  batch_id TEXT    NOT NULL REFERENCES market_activity_batches (id),
  idx      INTEGER NOT NULL,
  command  TEXT    NOT NULL,
  ok       BOOLEAN NOT NULL,
  message  TEXT    NOT NULL,
  data     TEXT    NOT NULL,
  at       TEXT    NOT NULL,
  PRIMARY KEY (batch_id, idx)
);

-- The activity's log, oldest first: seq counts from 0 per activity.
CREATE TABLE market_activity_logs (
  activity_id TEXT    NOT NULL REFERENCES market_activities (id),
  seq         INTEGER NOT NULL,
  batch_id    TEXT    NOT NULL,
  idx         INTEGER NOT NULL,
  line        TEXT    NOT NULL,
  at          TEXT    NOT NULL,
  PRIMARY KEY (activity_id, seq)
);
