-- An execution's counts of jobs by status, split over 16 rows per execution (a job's shard
-- is the last byte of its id, modulo 16). With one row, every finished attempt of an
-- execution updated the same row and so held its lock until commit: finishes ran one
-- after another, each waiting for the previous one's commit. Spread over shards they run
-- side by side; a reader adds the shards up.
CREATE TABLE execution_counts (
    execution_id   uuid NOT NULL
        CONSTRAINT execution_counts_execution_fk REFERENCES executions (id) ON DELETE CASCADE,
    shard          smallint NOT NULL CHECK (shard BETWEEN 0 AND 15),
    jobs_pending   bigint NOT NULL DEFAULT 0,
    jobs_queued    bigint NOT NULL DEFAULT 0,
    jobs_running   bigint NOT NULL DEFAULT 0,
    jobs_completed bigint NOT NULL DEFAULT 0,
    jobs_failed    bigint NOT NULL DEFAULT 0,
    jobs_cancelled bigint NOT NULL DEFAULT 0,
    jobs_invalid   bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (execution_id, shard)
);

INSERT INTO execution_counts (execution_id, shard, jobs_pending, jobs_queued, jobs_running,
                              jobs_completed, jobs_failed, jobs_cancelled, jobs_invalid)
SELECT id, 0, jobs_pending, jobs_queued, jobs_running, jobs_completed, jobs_failed,
       jobs_cancelled, jobs_invalid
FROM executions;

ALTER TABLE executions
    DROP COLUMN jobs_pending,
    DROP COLUMN jobs_queued,
    DROP COLUMN jobs_running,
    DROP COLUMN jobs_completed,
    DROP COLUMN jobs_failed,
    DROP COLUMN jobs_cancelled,
    DROP COLUMN jobs_invalid;

-- Adds changes of counts, given as (execution, shard, status, delta), to the shards. Rows
-- are written in key order, so two statements that touch several shards lock them in the
-- same order and cannot deadlock. Changes of an execution being deleted (cascades) are
-- dropped. plpgsql keeps the plan of its statement for the session (the SQL function it
-- replaces was planned on every call).
CREATE FUNCTION execution_counts_add(ids uuid[], shards integer[], statuses text[],
                                     deltas bigint[])
RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO execution_counts AS c (execution_id, shard, jobs_pending, jobs_queued,
        jobs_running, jobs_completed, jobs_failed, jobs_cancelled, jobs_invalid)
    SELECT d.id, d.shard,
        COALESCE(sum(d.n) FILTER (WHERE d.status = 'pending'), 0),
        COALESCE(sum(d.n) FILTER (WHERE d.status = 'queued'), 0),
        COALESCE(sum(d.n) FILTER (WHERE d.status = 'running'), 0),
        COALESCE(sum(d.n) FILTER (WHERE d.status = 'completed'), 0),
        COALESCE(sum(d.n) FILTER (WHERE d.status = 'failed'), 0),
        COALESCE(sum(d.n) FILTER (WHERE d.status = 'cancelled'), 0),
        COALESCE(sum(d.n) FILTER (WHERE d.status = 'invalid'), 0)
    FROM unnest(ids, shards, statuses, deltas) AS d (id, shard, status, n)
    WHERE EXISTS (SELECT 1 FROM executions e WHERE e.id = d.id)
    GROUP BY d.id, d.shard
    ORDER BY d.id, d.shard
    ON CONFLICT (execution_id, shard) DO UPDATE SET
        jobs_pending   = c.jobs_pending   + excluded.jobs_pending,
        jobs_queued    = c.jobs_queued    + excluded.jobs_queued,
        jobs_running   = c.jobs_running   + excluded.jobs_running,
        jobs_completed = c.jobs_completed + excluded.jobs_completed,
        jobs_failed    = c.jobs_failed    + excluded.jobs_failed,
        jobs_cancelled = c.jobs_cancelled + excluded.jobs_cancelled,
        jobs_invalid   = c.jobs_invalid   + excluded.jobs_invalid;
END
$$;

-- One aggregated change per statement, as before, now per (execution, shard); statements
-- that change no status change no row.
CREATE OR REPLACE FUNCTION execution_jobs_count() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
    -- Each branch names only the transition tables its event has.
    IF TG_OP = 'INSERT' THEN
        PERFORM execution_counts_add(array_agg(execution_id), array_agg(shard),
                                     array_agg(status), array_agg(n))
        FROM (SELECT execution_id, get_byte(uuid_send(job_id), 15) % 16 AS shard, status,
                     count(*) AS n
              FROM new_rows GROUP BY 1, 2, 3) AS c;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM execution_counts_add(array_agg(execution_id), array_agg(shard),
                                     array_agg(status), array_agg(n))
        FROM (SELECT execution_id, get_byte(uuid_send(job_id), 15) % 16 AS shard, status,
                     -count(*) AS n
              FROM old_rows GROUP BY 1, 2, 3) AS c;
    ELSE
        PERFORM execution_counts_add(array_agg(execution_id), array_agg(shard),
                                     array_agg(status), array_agg(n))
        FROM (
            SELECT execution_id, get_byte(uuid_send(job_id), 15) % 16 AS shard, status,
                   sum(n) AS n
            FROM (
                SELECT execution_id, job_id, status, 1 AS n FROM new_rows
                UNION ALL
                SELECT execution_id, job_id, status, -1 FROM old_rows
            ) AS changes
            GROUP BY 1, 2, 3 HAVING sum(n) <> 0
        ) AS c;
    END IF;
    RETURN NULL;
END
$$;

DROP FUNCTION execution_jobs_apply(uuid[], text[], bigint[]);
