-- Metering, version 9: the other usage counters of a round, beside examples x epochs (V8). Same
-- conventions as V1 (see its header), and:
--
-- * cpu_micros: CPU time the node reported for its fit and evaluate tasks of the round
--   (UpdateHeader.cpu_time_us, summed), in microseconds; billed as whole CPU seconds of the
--   agreement's total (fedgrid.usage.cpu_seconds), rounded down.
-- * bytes_moved: bytes the fleet API moved for those tasks, parameters streamed to the node and
--   results pushed by it (fedgrid.usage.bytes).
-- * Rows recorded before version 9 have 0 for both: those rounds were billed on examples x epochs.

ALTER TABLE market_usage ADD COLUMN cpu_micros BIGINT NOT NULL DEFAULT 0;
ALTER TABLE market_usage ADD COLUMN bytes_moved BIGINT NOT NULL DEFAULT 0;
