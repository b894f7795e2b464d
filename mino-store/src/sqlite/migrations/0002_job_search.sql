-- Substring search on job site URLs.
--
-- A trigram index narrows a search to the rows holding every trigram of the searched text;
-- queries then check those rows with LIKE, so results always equal a plain LIKE scan.
-- detail=none and columnsize=0 keep the index small: positions are not needed when every
-- candidate is checked anyway.
--
-- Indexing costs more than storing a job, so new batches are not indexed while they are
-- written: a background task indexes jobs in order of `seq` and moves `indexed_upto` along.
-- Jobs above the watermark are searched with LIKE alone. Triggers keep the indexed part in
-- step with later updates and deletes.

CREATE VIRTUAL TABLE jobs_search USING fts5 (
    site_url,
    content = 'jobs',
    content_rowid = 'seq',
    tokenize = 'trigram',
    detail = 'none',
    columnsize = 0
);

CREATE TABLE jobs_search_state (
    singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
    indexed_upto INTEGER NOT NULL
);

INSERT INTO jobs_search_state (singleton, indexed_upto) VALUES (1, 0);

CREATE TRIGGER jobs_search_update AFTER UPDATE OF site_url ON jobs
WHEN old.seq <= (SELECT indexed_upto FROM jobs_search_state)
BEGIN
    INSERT INTO jobs_search (jobs_search, rowid, site_url) VALUES ('delete', old.seq, old.site_url);
    INSERT INTO jobs_search (rowid, site_url) VALUES (new.seq, new.site_url);
END;

CREATE TRIGGER jobs_search_delete AFTER DELETE ON jobs
WHEN old.seq <= (SELECT indexed_upto FROM jobs_search_state)
BEGIN
    INSERT INTO jobs_search (jobs_search, rowid, site_url) VALUES ('delete', old.seq, old.site_url);
END;
