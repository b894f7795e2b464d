-- The audit trail of ground truth: one row per field whose value an update changed.
--
-- Rows keep the job's id without a foreign key, so the trail outlives a deleted job; they
-- go with their batch.
CREATE TABLE ground_truth_changes (
    id          BLOB PRIMARY KEY NOT NULL,
    job_id      BLOB NOT NULL,
    batch_id    BLOB NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    field       TEXT NOT NULL,
    old_value   TEXT,
    new_value   TEXT,
    changed_by  TEXT NOT NULL,
    changed_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX ground_truth_changes_batch ON ground_truth_changes (batch_id, id);
CREATE INDEX ground_truth_changes_job ON ground_truth_changes (job_id, id);

-- The snapshot taken when an execution ends: at most one per execution, so that every
-- process that sees the end may try to take it.
ALTER TABLE metrics_snapshots ADD COLUMN at_end INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX metrics_snapshots_end ON metrics_snapshots (execution_id)
    WHERE at_end = 1;
