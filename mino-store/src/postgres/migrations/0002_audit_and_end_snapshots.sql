-- The audit trail of ground truth: one row per field whose value an update changed.
-- Rows keep the job's id without a foreign key, so the trail outlives a deleted job; they
-- go with their batch.
CREATE TABLE ground_truth_changes (
    id          uuid PRIMARY KEY,
    job_id      uuid NOT NULL,
    batch_id    uuid NOT NULL
        CONSTRAINT ground_truth_changes_batch_fk REFERENCES batches (id) ON DELETE CASCADE,
    field       text NOT NULL,
    old_value   text,
    new_value   text,
    changed_by  text NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ground_truth_changes_batch_idx ON ground_truth_changes (batch_id, id);
CREATE INDEX ground_truth_changes_job_idx ON ground_truth_changes (job_id, id);

-- The snapshot taken when an execution ends: at most one per execution, so that every
-- process that sees the end may try to take it.
ALTER TABLE metrics_snapshots ADD COLUMN at_end boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX metrics_snapshots_end_idx ON metrics_snapshots (execution_id)
    WHERE at_end;
