-- Lethe schema, version 17 (SQLite): a job is written in state preparing,
-- its items in short transactions, and queued when they are all there
-- (ADR 0019). SQLite cannot change a CHECK, so the jobs table is rebuilt.
CREATE TABLE jobs_v14 (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('bulk', 'dormant')),
    action      TEXT,              -- NULL for a dormant audit: each item has its own
    state       TEXT NOT NULL CHECK (state IN ('preparing', 'preview', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'removing')),
    dry_run     INTEGER NOT NULL,
    end_date    INTEGER,
    rules       TEXT,              -- a dormant audit's rules, JSON of numbers, roles and audience ids
    actions     TEXT,              -- a dormant audit's items by action, JSON
    total       INTEGER NOT NULL,
    processed   INTEGER NOT NULL,
    done        INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL,
    skipped     INTEGER NOT NULL,
    failed      INTEGER NOT NULL,
    errors      INTEGER NOT NULL,  -- consecutive internal errors while processing
    source      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    started_at  INTEGER,
    finished_at INTEGER,
    PRIMARY KEY (tenant_id, id)
);
INSERT INTO jobs_v14 SELECT tenant_id, id, kind, action, state, dry_run, end_date, rules, actions, total, processed, done,
    unchanged, skipped, failed, errors, source, actor, created_at, started_at, finished_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v14 RENAME TO jobs;
CREATE INDEX jobs_state ON jobs (tenant_id, state, created_at);
CREATE INDEX jobs_kind ON jobs (tenant_id, kind, id);

-- A CSV job's items name each user once: a chunk looks up the users the
-- chunks before it wrote (pending items only; the index empties as the job
-- runs).
CREATE INDEX job_items_learner ON job_items (tenant_id, job_id, learner_id) WHERE outcome IS NULL;
