-- Enrolment, version 6: single-use join tokens an administrator issues so that a new node may
-- register. Read and written by JoinTokens. Same conventions as V1 (see its header).
--
-- * The secret (fgj_...) is never stored, only its lower-case hex SHA-256.
-- * node_name: the only node name the token enrols; NULL enrols a node of any name.
-- * A token is used when used_at is set (node_id then holds the node it enrolled), revoked when
--   revoked_at is set, and expired when expires_at has passed; a token is consumed in the same
--   transaction that stores its node.
-- * created_by: the login name of the user who issued it (the audit actor).

CREATE TABLE join_tokens (
  id         TEXT NOT NULL PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  node_name  TEXT,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  used_at    TEXT,
  node_id    TEXT,
  revoked_at TEXT,
  revoked_by TEXT
);
