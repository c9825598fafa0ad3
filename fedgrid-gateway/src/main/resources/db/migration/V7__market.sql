-- The compute market and the internal payment ledger, version 7. Read and written by MarketStore
-- (market_*) and SqlLedger (ledger_*); the rules are fedgrid-market's, applied by Market inside the
-- transaction that writes the rows. Same conventions as V1 (see its header), and:
--
-- * Money is TEXT: a plain decimal with exactly 18 fractional digits (Money.SCALE), exact on both
--   databases and never a floating-point number. Ledger balances are signed: only the system
--   account (may_go_negative) goes below zero, by what was minted into the others.
-- * Terms (offers, demands, proposals) are JSON documents of their wire form (MarketJson).
-- * Users are their login names (as jobs.owner and audit actors); nodes and jobs their wire ids.
--   No foreign key to jobs or nodes: deleting a finished job must not erase what was paid for it.

-- state: 'active' | 'withdrawn'
CREATE TABLE market_offers (
  id           TEXT NOT NULL PRIMARY KEY,
  node_id      TEXT NOT NULL,
  terms        TEXT NOT NULL,
  state        TEXT NOT NULL,
  published_by TEXT NOT NULL,
  published_at TEXT NOT NULL,
  withdrawn_at TEXT
);

CREATE INDEX market_offers_by_state ON market_offers (state, id);

-- state: 'active' | 'withdrawn'; owner is the job's owner, the requestor.
CREATE TABLE market_demands (
  id           TEXT NOT NULL PRIMARY KEY,
  job_id       TEXT NOT NULL,
  owner        TEXT NOT NULL,
  terms        TEXT NOT NULL,
  state        TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  withdrawn_at TEXT
);

CREATE INDEX market_demands_by_owner ON market_demands (owner, id);

-- One row per proposal. A negotiation is the chain that starts at negotiation_id (its first
-- proposal), in position order; previous_id is the proposal a counter-proposal counters.
-- issuer: 'REQUESTOR' | 'PROVIDER'; terms: the offer and the demand as proposed.
CREATE TABLE market_proposals (
  id             TEXT    NOT NULL PRIMARY KEY,
  negotiation_id TEXT    NOT NULL,
  position       INTEGER NOT NULL,
  previous_id    TEXT,
  offer_id       TEXT    NOT NULL REFERENCES market_offers (id),
  demand_id      TEXT    NOT NULL REFERENCES market_demands (id),
  issuer         TEXT    NOT NULL,
  issued_by      TEXT    NOT NULL,
  terms          TEXT    NOT NULL,
  estimate       TEXT    NOT NULL,
  created_at     TEXT    NOT NULL,
  CONSTRAINT market_proposals_chain UNIQUE (negotiation_id, position)
);

CREATE INDEX market_proposals_by_demand ON market_proposals (demand_id, id);

-- state: AgreementState's names; the caps bound what its documents may claim.
CREATE TABLE market_agreements (
  id          TEXT NOT NULL PRIMARY KEY,
  proposal_id TEXT NOT NULL UNIQUE REFERENCES market_proposals (id),
  offer_id    TEXT NOT NULL,
  demand_id   TEXT NOT NULL,
  job_id      TEXT NOT NULL,
  node_id     TEXT NOT NULL,
  requestor   TEXT NOT NULL,
  state       TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  soft_cap    TEXT NOT NULL,
  hard_cap    TEXT NOT NULL,
  created_at  TEXT NOT NULL
);

CREATE INDEX market_agreements_by_requestor ON market_agreements (requestor, id);
CREATE INDEX market_agreements_by_job ON market_agreements (job_id, id);

-- Every transition of an agreement, oldest first (Agreement.history). party: Party's names;
-- actor: who caused it (a user name, or 'system' for an expiry).
CREATE TABLE market_agreement_events (
  agreement_id TEXT    NOT NULL REFERENCES market_agreements (id),
  seq          INTEGER NOT NULL,
  from_state   TEXT    NOT NULL,
  to_state     TEXT    NOT NULL,
  event        TEXT    NOT NULL,
  party        TEXT    NOT NULL,
  actor        TEXT    NOT NULL,
  at           TEXT    NOT NULL,
  reason       TEXT    NOT NULL,
  PRIMARY KEY (agreement_id, seq)
);

-- An amount a requestor reserved for a job: moved from their ledger account to the allocation's
-- own account (account_id), from which accepted documents are paid. state: 'active' | 'released';
-- at most one active allocation per job.
CREATE TABLE market_allocations (
  id          TEXT NOT NULL PRIMARY KEY,
  job_id      TEXT NOT NULL,
  owner       TEXT NOT NULL,
  account_id  TEXT NOT NULL,
  total       TEXT NOT NULL,
  spent       TEXT NOT NULL,
  state       TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  released_at TEXT
);

CREATE INDEX market_allocations_by_job ON market_allocations (job_id, state);
CREATE INDEX market_allocations_by_owner ON market_allocations (owner, id);

-- Debit notes and invoices. kind: 'debit_note' | 'invoice'; status: DocumentStatus's names;
-- acceptance_deadline only for debit notes; transfer_id: the ledger transfer that paid it.
CREATE TABLE market_documents (
  id                  TEXT    NOT NULL PRIMARY KEY,
  agreement_id        TEXT    NOT NULL REFERENCES market_agreements (id),
  position            INTEGER NOT NULL,
  kind                TEXT    NOT NULL,
  amount              TEXT    NOT NULL,
  status              TEXT    NOT NULL,
  issued_at           TEXT    NOT NULL,
  acceptance_deadline TEXT,
  justification       TEXT    NOT NULL,
  reason              TEXT    NOT NULL,
  transfer_id         TEXT,
  updated_at          TEXT    NOT NULL,
  CONSTRAINT market_documents_order UNIQUE (agreement_id, position)
);

-- Ledger accounts: 'system:mint', 'user:<name>', 'node:<node id>', 'allocation:<alc id>'.
CREATE TABLE ledger_accounts (
  id             TEXT    NOT NULL PRIMARY KEY,
  balance        TEXT    NOT NULL,
  may_go_negative BOOLEAN NOT NULL,
  created_at     TEXT    NOT NULL
);

-- One row per transfer: a debit of debit_account and a credit of credit_account of the same
-- amount, so every transfer balances by construction. reference is the caller's idempotency key.
CREATE TABLE ledger_transfers (
  id             TEXT NOT NULL PRIMARY KEY,
  reference      TEXT NOT NULL UNIQUE,
  debit_account  TEXT NOT NULL REFERENCES ledger_accounts (id),
  credit_account TEXT NOT NULL REFERENCES ledger_accounts (id),
  amount         TEXT NOT NULL,
  memo           TEXT NOT NULL,
  created_at     TEXT NOT NULL
);

CREATE INDEX ledger_transfers_by_debit ON ledger_transfers (debit_account, id);
CREATE INDEX ledger_transfers_by_credit ON ledger_transfers (credit_account, id);
