-- MINO schema, version 1.
--
-- Conventions:
-- * ids are UUID v7 made by the application, so id order is creation order and every list
--   pages on the primary key (or an index ending in id);
-- * timestamps come from the database clock (now(): one value per transaction);
-- * maps whose key order matters (inputs, ground truth, extractions) are stored as JSON
--   arrays of [key, value] pairs, because jsonb objects do not keep key order;
-- * foreign keys are named <table>_<entity>_fk; the store maps a violation to a
--   "<entity> not found" error by that name;
-- * every foreign key has an index whose first column is the key, so cascades and joins
--   never scan a table.

-- The trigram operator class lives in one shared schema (public), never in a MINO schema:
-- dropping a MINO schema must not drop an extension that other schemas' indexes use.
CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

CREATE TABLE projects (
    id                  uuid PRIMARY KEY,
    name                text NOT NULL,
    description         text NOT NULL,
    instructions        text NOT NULL,
    output_fields       jsonb NOT NULL,
    agent               jsonb NOT NULL,
    settings            jsonb NOT NULL,
    instruction_version integer NOT NULL CHECK (instruction_version >= 1),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX projects_created_at_idx ON projects (created_at);

CREATE TABLE instruction_versions (
    project_id    uuid NOT NULL
        CONSTRAINT instruction_versions_project_fk REFERENCES projects (id) ON DELETE CASCADE,
    version       integer NOT NULL CHECK (version >= 1),
    instructions  text NOT NULL,
    output_fields jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- Leads with project_id, so it also serves the foreign key.
    PRIMARY KEY (project_id, version)
);

CREATE TABLE batches (
    id              uuid PRIMARY KEY,
    project_id      uuid NOT NULL
        CONSTRAINT batches_project_fk REFERENCES projects (id) ON DELETE CASCADE,
    name            text NOT NULL,
    source_filename text,
    columns         jsonb NOT NULL,
    site_url_column text NOT NULL,
    preview         jsonb NOT NULL,
    warnings        jsonb NOT NULL,
    total_rows      bigint NOT NULL DEFAULT 0 CHECK (total_rows >= 0),
    valid_rows      bigint NOT NULL DEFAULT 0 CHECK (valid_rows >= 0),
    invalid_rows    bigint NOT NULL DEFAULT 0 CHECK (invalid_rows >= 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX batches_project_idx ON batches (project_id, id);
CREATE INDEX batches_created_at_idx ON batches (created_at);

CREATE TABLE executions (
    id                  uuid PRIMARY KEY,
    project_id          uuid NOT NULL
        CONSTRAINT executions_project_fk REFERENCES projects (id) ON DELETE CASCADE,
    batch_id            uuid NOT NULL
        CONSTRAINT executions_batch_fk REFERENCES batches (id) ON DELETE CASCADE,
    mode                text NOT NULL CHECK (mode IN ('test', 'production')),
    sample_size         integer CHECK (sample_size >= 1),
    -- A u64 stored bit for bit (values above i64::MAX read as negative numbers here).
    seed                bigint,
    concurrency         integer NOT NULL CHECK (concurrency BETWEEN 1 AND 50),
    max_attempts        integer NOT NULL CHECK (max_attempts >= 1),
    job_timeout_secs    integer NOT NULL CHECK (job_timeout_secs >= 1),
    instruction_version integer NOT NULL CHECK (instruction_version >= 1),
    status              text NOT NULL CHECK (status IN
        ('running', 'paused', 'stopping', 'completed', 'stopped', 'failed')),
    -- Its jobs by their status in this execution, kept by the triggers on execution_jobs
    -- (below), so reading them costs nothing even for a million jobs.
    jobs_pending        bigint NOT NULL DEFAULT 0 CHECK (jobs_pending >= 0),
    jobs_queued         bigint NOT NULL DEFAULT 0 CHECK (jobs_queued >= 0),
    jobs_running        bigint NOT NULL DEFAULT 0 CHECK (jobs_running >= 0),
    jobs_completed      bigint NOT NULL DEFAULT 0 CHECK (jobs_completed >= 0),
    jobs_failed         bigint NOT NULL DEFAULT 0 CHECK (jobs_failed >= 0),
    jobs_cancelled      bigint NOT NULL DEFAULT 0 CHECK (jobs_cancelled >= 0),
    jobs_invalid        bigint NOT NULL DEFAULT 0 CHECK (jobs_invalid >= 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz
);
CREATE INDEX executions_project_idx ON executions (project_id, id);
CREATE INDEX executions_batch_idx ON executions (batch_id, id);
CREATE INDEX executions_created_at_idx ON executions (created_at);
-- Workers look for executions that still hold jobs.
CREATE INDEX executions_active_idx ON executions (id)
    WHERE status IN ('running', 'paused', 'stopping');

CREATE TABLE jobs (
    id               uuid PRIMARY KEY,
    batch_id         uuid NOT NULL
        CONSTRAINT jobs_batch_fk REFERENCES batches (id) ON DELETE CASCADE,
    -- The batch's project, copied so project-wide job lists need no join. No foreign key:
    -- a batch never changes project, its own key already cascades, and a second per-row
    -- check would slow down loading a million rows.
    project_id       uuid NOT NULL,
    row_index        bigint NOT NULL CHECK (row_index >= 0),
    line             bigint NOT NULL CHECK (line >= 0),
    site_url         text NOT NULL,
    inputs           jsonb NOT NULL DEFAULT '[]',
    ground_truth     jsonb NOT NULL DEFAULT '[]',
    -- Derived by the database so they can never disagree with the JSON they summarise.
    has_ground_truth boolean NOT NULL GENERATED ALWAYS AS (ground_truth <> '[]'::jsonb) STORED,
    status           text NOT NULL CHECK (status IN
        ('pending', 'queued', 'running', 'completed', 'failed', 'cancelled', 'invalid')),
    invalid_reason   text,
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    execution_id     uuid
        CONSTRAINT jobs_execution_fk REFERENCES executions (id) ON DELETE SET NULL,
    extraction       jsonb,
    evaluation       jsonb,
    accuracy         text GENERATED ALWAYS AS (evaluation ->> 'accuracy') STORED,
    last_error       text,
    -- For the execution engine: who holds the job and until when, and when a retry may run.
    lease_owner      text,
    lease_expires_at timestamptz,
    next_attempt_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
-- Batch pages without a status filter (and the batch foreign key).
CREATE INDEX jobs_batch_idx ON jobs (batch_id, id);
-- Batch pages filtered by status: one index range per status, already in id order.
CREATE INDEX jobs_batch_status_idx ON jobs (batch_id, status, id);
CREATE INDEX jobs_project_idx ON jobs (project_id, id);
CREATE INDEX jobs_execution_idx ON jobs (execution_id, id);
-- Claims: an execution's queued jobs in row order (the few still waiting for their retry
-- time are skipped as they come).
CREATE INDEX jobs_queued_idx ON jobs (execution_id, id) WHERE status = 'queued';
-- Expired leases.
CREATE INDEX jobs_running_idx ON jobs (lease_expires_at) WHERE status = 'running';
-- Case-insensitive substring search (site_url ILIKE '%…%'). The operator class is looked
-- up in whichever schema holds pg_trgm, since the search_path may not include it.
DO $$
DECLARE
    trgm_schema text;
BEGIN
    SELECT n.nspname INTO STRICT trgm_schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
    EXECUTE format(
        'CREATE INDEX jobs_site_url_trgm_idx ON jobs USING gin (site_url %I.gin_trgm_ops)',
        trgm_schema);
END
$$;

-- Each job's status in each execution it was part of, so an execution's counts stay right
-- after its jobs are rerun in a later one.
CREATE TABLE execution_jobs (
    execution_id uuid NOT NULL
        CONSTRAINT execution_jobs_execution_fk REFERENCES executions (id) ON DELETE CASCADE,
    job_id       uuid NOT NULL
        CONSTRAINT execution_jobs_job_fk REFERENCES jobs (id) ON DELETE CASCADE,
    status       text NOT NULL CHECK (status IN
        ('pending', 'queued', 'running', 'completed', 'failed', 'cancelled', 'invalid')),
    attempts     integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    PRIMARY KEY (execution_id, job_id)
);
CREATE INDEX execution_jobs_job_idx ON execution_jobs (job_id);

-- Keeps executions.jobs_<status> equal to the count of the execution's rows here by status.
-- Statement triggers with transition tables apply one aggregated change per statement, so
-- queueing a million jobs updates the execution row once, not a million times. The
-- search_path is pinned because cascading deletes may run these from any session.
CREATE FUNCTION execution_jobs_apply(ids uuid[], statuses text[], deltas bigint[])
RETURNS void LANGUAGE sql SET search_path FROM CURRENT AS $$
    UPDATE executions AS e SET
        jobs_pending   = e.jobs_pending   + d.pending,
        jobs_queued    = e.jobs_queued    + d.queued,
        jobs_running   = e.jobs_running   + d.running,
        jobs_completed = e.jobs_completed + d.completed,
        jobs_failed    = e.jobs_failed    + d.failed,
        jobs_cancelled = e.jobs_cancelled + d.cancelled,
        jobs_invalid   = e.jobs_invalid   + d.invalid
    FROM (
        SELECT id,
            COALESCE(sum(n) FILTER (WHERE status = 'pending'), 0)   AS pending,
            COALESCE(sum(n) FILTER (WHERE status = 'queued'), 0)    AS queued,
            COALESCE(sum(n) FILTER (WHERE status = 'running'), 0)   AS running,
            COALESCE(sum(n) FILTER (WHERE status = 'completed'), 0) AS completed,
            COALESCE(sum(n) FILTER (WHERE status = 'failed'), 0)    AS failed,
            COALESCE(sum(n) FILTER (WHERE status = 'cancelled'), 0) AS cancelled,
            COALESCE(sum(n) FILTER (WHERE status = 'invalid'), 0)   AS invalid
        FROM unnest(ids, statuses, deltas) AS c (id, status, n)
        GROUP BY id
    ) AS d
    WHERE e.id = d.id
$$;

CREATE FUNCTION execution_jobs_count() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    -- Each branch names only the transition tables its event has.
    IF TG_OP = 'INSERT' THEN
        PERFORM execution_jobs_apply(array_agg(execution_id), array_agg(status), array_agg(n))
        FROM (SELECT execution_id, status, count(*) AS n FROM new_rows GROUP BY 1, 2) AS c;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM execution_jobs_apply(array_agg(execution_id), array_agg(status), array_agg(n))
        FROM (SELECT execution_id, status, -count(*) AS n FROM old_rows GROUP BY 1, 2) AS c;
    ELSE
        PERFORM execution_jobs_apply(array_agg(execution_id), array_agg(status), array_agg(n))
        FROM (
            SELECT execution_id, status, sum(n) AS n FROM (
                SELECT execution_id, status, 1 AS n FROM new_rows
                UNION ALL
                SELECT execution_id, status, -1 FROM old_rows
            ) AS changes
            GROUP BY 1, 2 HAVING sum(n) <> 0
        ) AS c;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER execution_jobs_count_insert AFTER INSERT ON execution_jobs
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION execution_jobs_count();
CREATE TRIGGER execution_jobs_count_update AFTER UPDATE ON execution_jobs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION execution_jobs_count();
CREATE TRIGGER execution_jobs_count_delete AFTER DELETE ON execution_jobs
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION execution_jobs_count();

CREATE TABLE sessions (
    id           uuid PRIMARY KEY,
    job_id       uuid NOT NULL
        CONSTRAINT sessions_job_fk REFERENCES jobs (id) ON DELETE CASCADE,
    execution_id uuid
        CONSTRAINT sessions_execution_fk REFERENCES executions (id) ON DELETE CASCADE,
    attempt      integer NOT NULL CHECK (attempt >= 1),
    worker_id    text NOT NULL,
    status       text NOT NULL CHECK (status IN
        ('running', 'succeeded', 'failed', 'cancelled', 'lost')),
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    log          jsonb NOT NULL DEFAULT '[]',
    extraction   jsonb,
    error        jsonb,
    screenshot   uuid,
    final_url    text,
    usage        jsonb NOT NULL
);
CREATE INDEX sessions_job_idx ON sessions (job_id, id);
CREATE INDEX sessions_execution_idx ON sessions (execution_id, id);
CREATE INDEX sessions_started_at_idx ON sessions (started_at);
CREATE INDEX sessions_running_idx ON sessions (started_at) WHERE status = 'running';

CREATE TABLE metrics_snapshots (
    id                  uuid PRIMARY KEY,
    batch_id            uuid NOT NULL
        CONSTRAINT metrics_snapshots_batch_fk REFERENCES batches (id) ON DELETE CASCADE,
    execution_id        uuid
        CONSTRAINT metrics_snapshots_execution_fk REFERENCES executions (id) ON DELETE CASCADE,
    instruction_version integer CHECK (instruction_version >= 1),
    metrics             jsonb NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX metrics_snapshots_batch_idx ON metrics_snapshots (batch_id, id);
CREATE INDEX metrics_snapshots_execution_idx ON metrics_snapshots (execution_id);
CREATE INDEX metrics_snapshots_created_at_idx ON metrics_snapshots (created_at);

CREATE TABLE artifacts (
    id           uuid PRIMARY KEY,
    job_id       uuid CONSTRAINT artifacts_job_fk REFERENCES jobs (id) ON DELETE CASCADE,
    session_id   uuid CONSTRAINT artifacts_session_fk REFERENCES sessions (id) ON DELETE CASCADE,
    kind         text NOT NULL,
    content_type text NOT NULL,
    size         bigint NOT NULL CHECK (size >= 0),
    bytes        bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
-- Screenshots are already compressed; trying again only costs time.
ALTER TABLE artifacts ALTER COLUMN bytes SET STORAGE EXTERNAL;
CREATE INDEX artifacts_job_idx ON artifacts (job_id);
CREATE INDEX artifacts_session_idx ON artifacts (session_id);
CREATE INDEX artifacts_created_at_idx ON artifacts (created_at);

-- Added last: sessions and artifacts refer to each other.
ALTER TABLE sessions ADD CONSTRAINT sessions_artifact_fk
    FOREIGN KEY (screenshot) REFERENCES artifacts (id) ON DELETE SET NULL;
CREATE INDEX sessions_screenshot_idx ON sessions (screenshot);
