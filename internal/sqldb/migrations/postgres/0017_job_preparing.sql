-- Lethe schema, version 17 (PostgreSQL): a job is written in state
-- preparing, its items in short transactions, and queued when they are all
-- there (ADR 0019). A job the sweep is removing is in state removing, which
-- nothing else reads or changes.
ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_state_check
    CHECK (state IN ('preparing', 'preview', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'removing'));

-- A CSV job's items name each user once: a chunk looks up the users the
-- chunks before it wrote (pending items only; the index empties as the job
-- runs).
CREATE INDEX job_items_learner ON job_items (tenant_id, job_id, learner_id) WHERE outcome IS NULL;
