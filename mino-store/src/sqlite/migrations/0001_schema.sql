-- The MINO schema.
--
-- Checks on enum columns use OR rather than IN: SQLite builds a temporary table for an IN
-- list each time a statement runs, a cost every single-row insert or update would pay.
--
-- Ids are 16-byte UUID v7 BLOBs, so id order is creation order and lists page on them.
-- Timestamps are INTEGER microseconds since the Unix epoch, UTC. Structured values are JSON
-- TEXT. Foreign keys with ON DELETE CASCADE carry out the delete rules of the Store trait.

CREATE TABLE projects (
    id                  BLOB PRIMARY KEY NOT NULL,
    name                TEXT NOT NULL,
    description         TEXT NOT NULL,
    instructions        TEXT NOT NULL,
    output_fields       TEXT NOT NULL,
    agent               TEXT NOT NULL,
    settings            TEXT NOT NULL,
    instruction_version INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX projects_created_at ON projects (created_at);

CREATE TABLE instruction_versions (
    project_id    BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    version       INTEGER NOT NULL,
    instructions  TEXT NOT NULL,
    output_fields TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (project_id, version)
) WITHOUT ROWID;

CREATE TABLE batches (
    id              BLOB PRIMARY KEY NOT NULL,
    project_id      BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    source_filename TEXT,
    columns         TEXT NOT NULL,
    site_url_column TEXT NOT NULL,
    preview         TEXT NOT NULL,
    warnings        TEXT NOT NULL,
    total_rows      INTEGER NOT NULL,
    valid_rows      INTEGER NOT NULL,
    invalid_rows    INTEGER NOT NULL,
    -- The batch's jobs are exactly the jobs with `seq` in this range (see jobs).
    first_job_seq   INTEGER NOT NULL,
    last_job_seq    INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX batches_project ON batches (project_id, id);
CREATE INDEX batches_created_at ON batches (created_at);

-- Jobs keep an integer key, `seq`, beside their UUID. A batch's jobs are inserted in one
-- transaction with ascending ids above every stored id, and AUTOINCREMENT never reuses a
-- value, so `seq` order is id order and each batch owns one contiguous `seq` range. Lists
-- page on `seq`: a batch is a rowid range, and every index ends in `seq` for free. The
-- site-url search index (FTS5) also needs this integer key.
CREATE TABLE jobs (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               BLOB NOT NULL UNIQUE,
    batch_id         BLOB NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    row_index        INTEGER NOT NULL,
    line             INTEGER NOT NULL,
    site_url         TEXT NOT NULL,
    inputs           TEXT NOT NULL,
    ground_truth     TEXT NOT NULL,
    has_ground_truth INTEGER NOT NULL,
    status           TEXT NOT NULL CHECK (status = 'pending' OR status = 'queued'
                         OR status = 'running' OR status = 'completed' OR status = 'failed'
                         OR status = 'cancelled' OR status = 'invalid'),
    invalid_reason   TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    execution_id     BLOB REFERENCES executions (id) ON DELETE SET NULL,
    extraction       TEXT,
    evaluation       TEXT,
    accuracy         TEXT CHECK (accuracy = 'pass' OR accuracy = 'fail' OR accuracy = 'partial'),
    last_error       TEXT,
    -- For the execution engine: who holds the job, until when, and when it may run again.
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    next_attempt_at  INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);

-- Paging within a batch filtered by status at any depth (the index ends in `seq`), counting
-- a batch's jobs by status, and the foreign key to batches.
CREATE INDEX jobs_batch_status ON jobs (batch_id, status);
-- Jobs currently or last in an execution, in `seq` order (most jobs have none at first:
-- leave them out).
CREATE INDEX jobs_execution ON jobs (execution_id) WHERE execution_id IS NOT NULL;
-- The jobs of active executions, which are few next to all jobs, each in a partial index:
-- queued ones in the order the engine claims them (fresh jobs in row order, then retries by
-- time), running ones by the end of their lease, to find the workers that died.
CREATE INDEX jobs_queued ON jobs (execution_id, next_attempt_at) WHERE status = 'queued';
CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE status = 'running';

CREATE TABLE executions (
    id                  BLOB PRIMARY KEY NOT NULL,
    project_id          BLOB NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    batch_id            BLOB NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    mode                TEXT NOT NULL CHECK (mode = 'test' OR mode = 'production'),
    sample_size         INTEGER,
    seed                INTEGER,
    concurrency         INTEGER NOT NULL,
    max_attempts        INTEGER NOT NULL,
    job_timeout_secs    INTEGER NOT NULL,
    instruction_version INTEGER NOT NULL,
    status              TEXT NOT NULL CHECK (status = 'running' OR status = 'paused'
                            OR status = 'stopping' OR status = 'completed'
                            OR status = 'stopped' OR status = 'failed'),
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    finished_at         INTEGER,
    FOREIGN KEY (project_id, instruction_version)
        REFERENCES instruction_versions (project_id, version) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE INDEX executions_project ON executions (project_id, id);
CREATE INDEX executions_batch ON executions (batch_id, id);
CREATE INDEX executions_project_version ON executions (project_id, instruction_version);
CREATE INDEX executions_created_at ON executions (created_at);

-- Each job's status within each execution it took part in. A job's own status is its latest;
-- this keeps an earlier execution's counts right after its jobs run again in a later one.
CREATE TABLE execution_jobs (
    execution_id BLOB NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    job_id       BLOB NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    status       TEXT NOT NULL CHECK (status = 'pending' OR status = 'queued'
                     OR status = 'running' OR status = 'completed' OR status = 'failed'
                     OR status = 'cancelled' OR status = 'invalid'),
    attempts     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (execution_id, job_id)
) WITHOUT ROWID;

-- Counting an execution's jobs by status reads this index only.
CREATE INDEX execution_jobs_status ON execution_jobs (execution_id, status);
CREATE INDEX execution_jobs_job ON execution_jobs (job_id);

CREATE TABLE artifacts (
    id           BLOB PRIMARY KEY NOT NULL,
    job_id       BLOB REFERENCES jobs (id) ON DELETE CASCADE,
    session_id   BLOB REFERENCES sessions (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    bytes        BLOB NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE INDEX artifacts_job ON artifacts (job_id) WHERE job_id IS NOT NULL;
CREATE INDEX artifacts_session ON artifacts (session_id) WHERE session_id IS NOT NULL;

CREATE TABLE sessions (
    id           BLOB PRIMARY KEY NOT NULL,
    job_id       BLOB NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    execution_id BLOB REFERENCES executions (id) ON DELETE CASCADE,
    attempt      INTEGER NOT NULL,
    worker_id    TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status = 'running' OR status = 'succeeded'
                     OR status = 'failed' OR status = 'cancelled' OR status = 'lost'),
    started_at   INTEGER NOT NULL,
    finished_at  INTEGER,
    log          TEXT NOT NULL,
    extraction   TEXT,
    error        TEXT,
    screenshot   BLOB REFERENCES artifacts (id) ON DELETE SET NULL,
    final_url    TEXT,
    usage        TEXT NOT NULL
) WITHOUT ROWID;

CREATE INDEX sessions_job ON sessions (job_id, id);
CREATE INDEX sessions_execution ON sessions (execution_id) WHERE execution_id IS NOT NULL;
CREATE INDEX sessions_screenshot ON sessions (screenshot) WHERE screenshot IS NOT NULL;

CREATE TABLE metrics_snapshots (
    id                  BLOB PRIMARY KEY NOT NULL,
    batch_id            BLOB NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    execution_id        BLOB REFERENCES executions (id) ON DELETE CASCADE,
    instruction_version INTEGER,
    metrics             TEXT NOT NULL,
    created_at          INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX metrics_snapshots_batch ON metrics_snapshots (batch_id, id);
CREATE INDEX metrics_snapshots_execution ON metrics_snapshots (execution_id)
    WHERE execution_id IS NOT NULL;
