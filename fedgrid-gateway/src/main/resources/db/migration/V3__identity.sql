-- Identity, version 3: users, roles, personal API tokens, login throttling, and the owner of each
-- job. Read and written by IdentityStore (roles, users, tokens, login failures) and SqlStateStore
-- (jobs.owner). Same conventions as V1 (see its header).
--
-- * Secrets are never stored: passwords as Argon2id hashes in their encoded form
--   ($argon2id$v=19$m=...,t=...,p=...$salt$hash, base64 without padding), API tokens as the
--   lower-case hex SHA-256 of the token.
-- * Permissions of a role are a JSON array of their wire names (["can_make_data_requests", ...]).

-- The submitting user's login name; '' for jobs stored before users existed.
ALTER TABLE jobs ADD COLUMN owner TEXT NOT NULL DEFAULT '';

CREATE INDEX jobs_by_owner ON jobs (owner, id);

CREATE TABLE roles (
  name        TEXT    NOT NULL PRIMARY KEY,
  description TEXT    NOT NULL,
  permissions TEXT    NOT NULL,
  builtin     BOOLEAN NOT NULL,
  created_at  TEXT    NOT NULL
);

CREATE TABLE users (
  id            TEXT    NOT NULL PRIMARY KEY,
  name          TEXT    NOT NULL UNIQUE,
  role          TEXT    NOT NULL REFERENCES roles (name),
  password_hash TEXT    NOT NULL,
  disabled      BOOLEAN NOT NULL,
  created_at    TEXT    NOT NULL
);

CREATE INDEX users_by_role ON users (role);

CREATE TABLE api_tokens (
  id           TEXT    NOT NULL PRIMARY KEY,
  user_id      TEXT    NOT NULL REFERENCES users (id),
  name         TEXT    NOT NULL,
  token_hash   TEXT    NOT NULL UNIQUE,
  created_at   TEXT    NOT NULL,
  expires_at   TEXT    NOT NULL,
  last_used_at TEXT,
  revoked      BOOLEAN NOT NULL
);

CREATE INDEX api_tokens_by_user ON api_tokens (user_id, id);

-- Failed logins, kept for the throttling window: key is 'user:<name>' or 'address:<ip>'.
CREATE TABLE login_failures (
  throttle_key TEXT NOT NULL,
  at           TEXT NOT NULL
);

CREATE INDEX login_failures_by_key ON login_failures (throttle_key, at);
