-- The audit ledger: append-only, hash-chained events written in the same transaction as the change
-- they record. Read and written by AuditLog.
--
-- hash = SHA-256(previous_hash || encoding of seq, at, actor, action, target, details), lower-case
-- hex; see AuditLog for the exact encoding. audit_head holds the newest (seq, hash), updated in the
-- same transaction as each append, so removing the newest events is detected as well.

CREATE TABLE audit_events (
  seq           BIGINT NOT NULL PRIMARY KEY,
  at            TEXT   NOT NULL,
  actor         TEXT   NOT NULL,
  action        TEXT   NOT NULL,
  target        TEXT   NOT NULL,
  details       TEXT   NOT NULL,
  previous_hash TEXT   NOT NULL,
  hash          TEXT   NOT NULL
);

CREATE INDEX audit_events_by_action ON audit_events (action, seq);
CREATE INDEX audit_events_by_actor ON audit_events (actor, seq);
CREATE INDEX audit_events_by_target ON audit_events (target, seq);

CREATE TABLE audit_head (
  id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  seq  BIGINT  NOT NULL,
  hash TEXT    NOT NULL
);
