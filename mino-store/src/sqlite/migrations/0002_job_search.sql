-- Substring search on job site URLs.
--
-- A trigram index narrows a search to the rows holding every trigram of the searched text;
-- queries then check those rows against `jobs` with LIKE, so results always equal a plain
-- LIKE scan. detail=none and columnsize=0 keep the index small: positions are not needed
-- when every candidate is checked anyway. The index keeps no copy of the URLs (content='').
--
-- Indexing costs more than storing a job, so new batches are not indexed while they are
-- written: a background task indexes jobs in order of `seq` and moves `indexed_upto` along.
-- Jobs above the watermark are searched with LIKE alone. A trigger keeps indexed URLs in
-- step with later updates.
--
-- Deleting a job leaves its entry behind: removing index entries one by one would make
-- deleting a large batch slow, and a leftover entry can never match, because `seq` values
-- are never reused and every candidate is checked against `jobs`. The background task
-- counts them (`stale_rows`) and rebuilds the index once they outnumber the live entries.

CREATE VIRTUAL TABLE jobs_search USING fts5 (
    site_url,
    content = '',
    tokenize = 'trigram',
    detail = 'none',
    columnsize = 0
);

CREATE TABLE jobs_search_state (
    singleton    INTEGER PRIMARY KEY CHECK (singleton = 1),
    -- Every job with `seq` up to this is indexed.
    indexed_upto INTEGER NOT NULL,
    -- Entries added since the index was last emptied.
    indexed_rows INTEGER NOT NULL,
    -- Of those, entries whose job has been deleted.
    stale_rows   INTEGER NOT NULL
);

INSERT INTO jobs_search_state (singleton, indexed_upto, indexed_rows, stale_rows)
VALUES (1, 0, 0, 0);

CREATE TRIGGER jobs_search_update AFTER UPDATE OF site_url ON jobs
WHEN old.seq <= (SELECT indexed_upto FROM jobs_search_state)
BEGIN
    INSERT INTO jobs_search (jobs_search, rowid, site_url) VALUES ('delete', old.seq, old.site_url);
    INSERT INTO jobs_search (rowid, site_url) VALUES (new.seq, new.site_url);
END;

CREATE TRIGGER jobs_search_delete AFTER DELETE ON jobs
WHEN old.seq <= (SELECT indexed_upto FROM jobs_search_state)
BEGIN
    UPDATE jobs_search_state SET stale_rows = stale_rows + 1;
END;
