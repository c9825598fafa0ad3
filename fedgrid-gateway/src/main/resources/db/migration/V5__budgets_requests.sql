-- Privacy budgets, the privacy ledger, budget requests and release requests, version 5. Read and
-- written by PrivacyBudgets (privacy_budgets, privacy_ledger, job_datasets, budget_requests),
-- SqlStateStore (privacy_ledger.spent_epsilon, with each round) and ReleaseRequests
-- (release_requests, job_releases). Same conventions as V1 (see its header).
--
-- * Users are their login names (as jobs.owner and audit actors); datasets their ds_... ids.
-- * The ledger and the job snapshot have no foreign key to jobs on purpose: deleting a finished job
--   must not give back the epsilon it spent.

-- A budget (epsilon, delta) per user per dataset; no row means a budget of 0.
CREATE TABLE privacy_budgets (
  user_name  TEXT             NOT NULL,
  dataset_id TEXT             NOT NULL,
  epsilon    DOUBLE PRECISION NOT NULL,
  delta      DOUBLE PRECISION NOT NULL,
  updated_at TEXT             NOT NULL,
  updated_by TEXT             NOT NULL,
  PRIMARY KEY (user_name, dataset_id)
);

-- One row per DP job per private dataset it runs on, written when the job is admitted. While the
-- job is queued or running it holds planned_epsilon; spent_epsilon follows its completed rounds.
CREATE TABLE privacy_ledger (
  job_id          TEXT             NOT NULL,
  dataset_id      TEXT             NOT NULL,
  user_name       TEXT             NOT NULL,
  planned_epsilon DOUBLE PRECISION NOT NULL,
  delta           DOUBLE PRECISION NOT NULL,
  spent_epsilon   DOUBLE PRECISION NOT NULL,
  created_at      TEXT             NOT NULL,
  PRIMARY KEY (job_id, dataset_id)
);

CREATE INDEX privacy_ledger_by_user ON privacy_ledger (user_name, dataset_id);

-- The datasets a job was admitted on, with their visibility at that moment ('public' | 'private').
CREATE TABLE job_datasets (
  job_id     TEXT NOT NULL,
  dataset_id TEXT NOT NULL,
  visibility TEXT NOT NULL,
  PRIMARY KEY (job_id, dataset_id)
);

-- state: 'pending' | 'approved' | 'denied'; decided_* and comment are NULL while pending.
CREATE TABLE budget_requests (
  id         TEXT             NOT NULL PRIMARY KEY,
  user_name  TEXT             NOT NULL,
  dataset_id TEXT             NOT NULL,
  epsilon    DOUBLE PRECISION NOT NULL,
  reason     TEXT             NOT NULL,
  state      TEXT             NOT NULL,
  created_at TEXT             NOT NULL,
  decided_by TEXT,
  decided_at TEXT,
  comment    TEXT
);

CREATE INDEX budget_requests_by_state ON budget_requests (state, id);
CREATE INDEX budget_requests_by_user ON budget_requests (user_name, id);

CREATE TABLE release_requests (
  id         TEXT NOT NULL PRIMARY KEY,
  job_id     TEXT NOT NULL,
  requester  TEXT NOT NULL,
  reason     TEXT NOT NULL,
  state      TEXT NOT NULL,
  created_at TEXT NOT NULL,
  decided_by TEXT,
  decided_at TEXT,
  comment    TEXT
);

CREATE INDEX release_requests_by_state ON release_requests (state, id);
CREATE INDEX release_requests_by_requester ON release_requests (requester, id);
CREATE INDEX release_requests_by_job ON release_requests (job_id, id);

-- Jobs whose results may leave: how is 'automatic' (public data only) or 'approved' (request_id).
CREATE TABLE job_releases (
  job_id      TEXT NOT NULL PRIMARY KEY,
  how         TEXT NOT NULL,
  request_id  TEXT,
  released_at TEXT NOT NULL
);
