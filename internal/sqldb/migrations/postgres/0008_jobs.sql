-- Lethe schema, version 8 (PostgreSQL): durable jobs, dormant-account audits
-- and the idempotency of synchronous bulk calls. Jobs hold ids only: a CSV
-- or a query is resolved to learner ids when the job is created.

CREATE TABLE jobs (
    tenant_id   TEXT COLLATE "C" NOT NULL,
    id          TEXT COLLATE "C" NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('bulk', 'dormant')),
    action      TEXT,              -- NULL for a dormant audit: each item has its own
    state       TEXT NOT NULL CHECK (state IN ('preview', 'queued', 'running', 'succeeded', 'failed', 'cancelled')),
    dry_run     BOOLEAN NOT NULL,
    end_date    BIGINT,
    rules       TEXT,              -- a dormant audit's rules, JSON of numbers, roles and audience ids
    actions     TEXT,              -- a dormant audit's items by action, JSON
    total       BIGINT NOT NULL,
    processed   BIGINT NOT NULL,
    done        BIGINT NOT NULL,
    unchanged   BIGINT NOT NULL,
    skipped     BIGINT NOT NULL,
    failed      BIGINT NOT NULL,
    errors      BIGINT NOT NULL,  -- consecutive internal errors while processing
    source      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    started_at  BIGINT,
    finished_at BIGINT,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX jobs_state ON jobs (tenant_id, state, created_at);
CREATE INDEX jobs_kind ON jobs (tenant_id, kind, id);

-- One row per selected user (or per CSV line naming nobody); outcome is set
-- in the transaction that acts, so a restarted job never acts twice.
CREATE TABLE job_items (
    tenant_id  TEXT COLLATE "C" NOT NULL,
    job_id     TEXT COLLATE "C" NOT NULL,
    seq        BIGINT NOT NULL,
    line       BIGINT NOT NULL,
    learner_id TEXT COLLATE "C",
    action     TEXT NOT NULL,
    rule       TEXT,              -- the dormant-audit rule that proposed the action
    outcome    TEXT,
    reason     TEXT,
    PRIMARY KEY (tenant_id, job_id, seq)
);
CREATE INDEX job_items_pending ON job_items (tenant_id, job_id, seq) WHERE outcome IS NULL;

-- The first answer of a synchronous bulk call made with an Idempotency-Key:
-- keyed hashes of the key and the body, and the answer with learner ids and
-- outcomes only (the identifiers come from the retried request).
CREATE TABLE idempotency_keys (
    tenant_id  TEXT COLLATE "C" NOT NULL,
    key_hash   BYTEA NOT NULL,
    body_hash  BYTEA NOT NULL,
    status     BIGINT NOT NULL,
    answer     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, key_hash)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (tenant_id, created_at);

-- A tenant's scheduled dormant-account audit: JSON {"everyDays": N, "rules": {…}}.
ALTER TABLE tenant_settings ADD COLUMN dormant_audit TEXT;
