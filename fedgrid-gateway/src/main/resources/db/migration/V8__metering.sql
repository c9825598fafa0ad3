-- Metering, version 8: what each agreement's node put into each round of its job, written by
-- MarketStore in the transaction that records the round (so a round re-run after a restart is
-- never metered twice). Same conventions as V1 (see its header), and:
--
-- * examples_epochs: the node's training examples times local epochs in the round
--   (RoundSummary.contributions), the counter fedgrid.usage.examples_epochs.
-- * An agreement's usage is the sum of its rows; its debit notes price that sum.

CREATE TABLE market_usage (
  agreement_id    TEXT    NOT NULL REFERENCES market_agreements (id),
  round           INTEGER NOT NULL,
  node_id         TEXT    NOT NULL,
  examples_epochs BIGINT  NOT NULL,
  recorded_at     TEXT    NOT NULL,
  PRIMARY KEY (agreement_id, round)
);
