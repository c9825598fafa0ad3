-- The gateway's durable state, version 1: nodes, the dataset catalogue, jobs, their rounds and
-- checkpoints, and each job's event log. Read by SqlStateStore.
--
-- Portable SQL for SQLite and PostgreSQL:
-- * ${bytes} is a Flyway placeholder for binary columns: BLOB on SQLite, BYTEA on PostgreSQL.
-- * Timestamps are TEXT in RFC 3339 UTC with exactly nine fractional digits
--   (2026-11-03T12:04:31.123456789Z): they round-trip an Instant exactly and sort as text.
-- * JSON documents are TEXT written by the gateway's one Jackson mapper (Json.mapper()).
-- * Ids are the typed ids' wire form (job_..., node_..., ds_...), which sort by creation time.
-- * Deleting a job cascades to its rounds, checkpoints and events (SQLite needs foreign_keys=ON,
--   which SqlStateStore sets on every connection).

CREATE TABLE nodes (
  id            TEXT     NOT NULL PRIMARY KEY,
  name          TEXT     NOT NULL,
  cores         INTEGER  NOT NULL,
  memory_mib    BIGINT   NOT NULL,
  version       TEXT,
  token_hash    ${bytes} NOT NULL,
  registered_at TEXT     NOT NULL,
  last_seen_at  TEXT     NOT NULL
);

CREATE TABLE datasets (
  id            TEXT NOT NULL PRIMARY KEY,
  node_id       TEXT NOT NULL REFERENCES nodes (id),
  name          TEXT NOT NULL,
  metadata      TEXT NOT NULL,
  registered_at TEXT NOT NULL,
  CONSTRAINT datasets_node_name UNIQUE (node_id, name)
);

CREATE INDEX datasets_by_name ON datasets (name, registered_at);

CREATE TABLE jobs (
  id               TEXT    NOT NULL PRIMARY KEY,
  spec             TEXT    NOT NULL,
  state            TEXT    NOT NULL,
  completed_rounds INTEGER NOT NULL,
  message          TEXT    NOT NULL,
  created_at       TEXT    NOT NULL,
  started_at       TEXT,
  finished_at      TEXT,
  metrics          TEXT    NOT NULL
);

-- Listing jobs by state, newest (highest id) first.
CREATE INDEX jobs_by_state ON jobs (state, id);

CREATE TABLE rounds (
  job_id  TEXT    NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  round   INTEGER NOT NULL,
  summary TEXT    NOT NULL,
  PRIMARY KEY (job_id, round)
);

-- parameters: TensorCodec.encode; strategy_state: TensorCodec.encodeNamed.
CREATE TABLE checkpoints (
  job_id         TEXT     NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  round          INTEGER  NOT NULL,
  parameters     ${bytes} NOT NULL,
  strategy_state ${bytes} NOT NULL,
  PRIMARY KEY (job_id, round)
);

CREATE TABLE job_events (
  job_id  TEXT   NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  seq     BIGINT NOT NULL,
  type    TEXT   NOT NULL,
  message TEXT   NOT NULL,
  at      TEXT   NOT NULL,
  PRIMARY KEY (job_id, seq)
);
