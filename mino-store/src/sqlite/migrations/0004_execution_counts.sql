-- Each execution's job counts by status, kept up to date by triggers on `execution_jobs`,
-- so that reading an execution with its counts costs one row instead of a count over all
-- of its jobs (which the engine does on every claim and every finished attempt).
ALTER TABLE executions ADD COLUMN jobs_pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN jobs_queued INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN jobs_running INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN jobs_completed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN jobs_failed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN jobs_cancelled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN jobs_invalid INTEGER NOT NULL DEFAULT 0;

UPDATE executions SET
    jobs_pending = (SELECT count(*) FROM execution_jobs j
                    WHERE j.execution_id = executions.id AND j.status = 'pending'),
    jobs_queued = (SELECT count(*) FROM execution_jobs j
                   WHERE j.execution_id = executions.id AND j.status = 'queued'),
    jobs_running = (SELECT count(*) FROM execution_jobs j
                    WHERE j.execution_id = executions.id AND j.status = 'running'),
    jobs_completed = (SELECT count(*) FROM execution_jobs j
                      WHERE j.execution_id = executions.id AND j.status = 'completed'),
    jobs_failed = (SELECT count(*) FROM execution_jobs j
                   WHERE j.execution_id = executions.id AND j.status = 'failed'),
    jobs_cancelled = (SELECT count(*) FROM execution_jobs j
                      WHERE j.execution_id = executions.id AND j.status = 'cancelled'),
    jobs_invalid = (SELECT count(*) FROM execution_jobs j
                    WHERE j.execution_id = executions.id AND j.status = 'invalid');

CREATE TRIGGER execution_jobs_count_insert AFTER INSERT ON execution_jobs
BEGIN
    UPDATE executions SET
        jobs_pending = jobs_pending + (NEW.status = 'pending'),
        jobs_queued = jobs_queued + (NEW.status = 'queued'),
        jobs_running = jobs_running + (NEW.status = 'running'),
        jobs_completed = jobs_completed + (NEW.status = 'completed'),
        jobs_failed = jobs_failed + (NEW.status = 'failed'),
        jobs_cancelled = jobs_cancelled + (NEW.status = 'cancelled'),
        jobs_invalid = jobs_invalid + (NEW.status = 'invalid')
    WHERE id = NEW.execution_id;
END;

CREATE TRIGGER execution_jobs_count_update AFTER UPDATE OF status ON execution_jobs
WHEN OLD.status IS NOT NEW.status
BEGIN
    UPDATE executions SET
        jobs_pending = jobs_pending + (NEW.status = 'pending') - (OLD.status = 'pending'),
        jobs_queued = jobs_queued + (NEW.status = 'queued') - (OLD.status = 'queued'),
        jobs_running = jobs_running + (NEW.status = 'running') - (OLD.status = 'running'),
        jobs_completed = jobs_completed + (NEW.status = 'completed')
            - (OLD.status = 'completed'),
        jobs_failed = jobs_failed + (NEW.status = 'failed') - (OLD.status = 'failed'),
        jobs_cancelled = jobs_cancelled + (NEW.status = 'cancelled')
            - (OLD.status = 'cancelled'),
        jobs_invalid = jobs_invalid + (NEW.status = 'invalid') - (OLD.status = 'invalid')
    WHERE id = NEW.execution_id;
END;

CREATE TRIGGER execution_jobs_count_delete AFTER DELETE ON execution_jobs
BEGIN
    UPDATE executions SET
        jobs_pending = jobs_pending - (OLD.status = 'pending'),
        jobs_queued = jobs_queued - (OLD.status = 'queued'),
        jobs_running = jobs_running - (OLD.status = 'running'),
        jobs_completed = jobs_completed - (OLD.status = 'completed'),
        jobs_failed = jobs_failed - (OLD.status = 'failed'),
        jobs_cancelled = jobs_cancelled - (OLD.status = 'cancelled'),
        jobs_invalid = jobs_invalid - (OLD.status = 'invalid')
    WHERE id = OLD.execution_id;
END;
