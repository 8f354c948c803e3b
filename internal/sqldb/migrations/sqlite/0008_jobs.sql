-- Lethe schema, version 8 (SQLite): durable jobs, dormant-account audits
-- and the idempotency of synchronous bulk calls. Jobs hold ids only: a CSV
-- or a query is resolved to learner ids when the job is created.

CREATE TABLE jobs (
    tenant_id   TEXT NOT NULL,
    id          TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('bulk', 'dormant')),
    action      TEXT,              -- NULL for a dormant audit: each item has its own
    state       TEXT NOT NULL CHECK (state IN ('preview', 'queued', 'running', 'succeeded', 'failed', 'cancelled')),
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
CREATE INDEX jobs_state ON jobs (tenant_id, state, created_at);
CREATE INDEX jobs_kind ON jobs (tenant_id, kind, id);

-- One row per selected user (or per CSV line naming nobody); outcome is set
-- in the transaction that acts, so a restarted job never acts twice.
CREATE TABLE job_items (
    tenant_id  TEXT NOT NULL,
    job_id     TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    line       INTEGER NOT NULL,
    learner_id TEXT,
    action     TEXT NOT NULL,
    rule       TEXT,              -- the dormant-audit rule that proposed the action
    outcome    TEXT,
    reason     TEXT,
    PRIMARY KEY (tenant_id, job_id, seq)
) WITHOUT ROWID; -- one b-tree: items are written in key order, often by the hundred thousand
CREATE INDEX job_items_pending ON job_items (tenant_id, job_id, seq) WHERE outcome IS NULL;

-- The first answer of a synchronous bulk call made with an Idempotency-Key:
-- keyed hashes of the key and the body, and the answer with learner ids and
-- outcomes only (the identifiers come from the retried request).
CREATE TABLE idempotency_keys (
    tenant_id  TEXT NOT NULL,
    key_hash   BLOB NOT NULL,
    body_hash  BLOB NOT NULL,
    status     INTEGER NOT NULL,
    answer     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key_hash)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (tenant_id, created_at);

-- A tenant's scheduled dormant-account audit: JSON {"everyDays": N, "rules": {…}}.
ALTER TABLE tenant_settings ADD COLUMN dormant_audit TEXT;
