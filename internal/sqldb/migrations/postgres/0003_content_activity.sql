-- Lethe schema, version 3 (PostgreSQL): the content catalogue with the history
-- of actions on each item, and activities. Activities name learners by
-- learner id only; their free text (name, data, with) may name a person and
-- is cleared when the learner is erased. Times are UTC Unix milliseconds.

CREATE TABLE contents (
    tenant_id        TEXT COLLATE "C" NOT NULL,
    id               TEXT COLLATE "C" NOT NULL,
    title            TEXT NOT NULL,
    description      TEXT NOT NULL,
    type             TEXT NOT NULL,
    tags             TEXT NOT NULL, -- JSON array of strings
    duration_minutes BIGINT,
    is_official      BOOLEAN NOT NULL,
    author           TEXT COLLATE "C",          -- a learner id
    archived_at      BIGINT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX contents_updated ON contents (tenant_id, updated_at);

CREATE TABLE content_history (
    tenant_id  TEXT COLLATE "C" NOT NULL,
    content_id TEXT COLLATE "C" NOT NULL,
    seq        INTEGER NOT NULL,
    action     TEXT NOT NULL,
    actor_type TEXT NOT NULL,
    actor      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, content_id, seq)
);

-- id is the vendor id answered; client_id the id the sender gave, the
-- idempotency key of ingestion.
CREATE TABLE activities (
    tenant_id    TEXT COLLATE "C" NOT NULL,
    id           TEXT COLLATE "C" NOT NULL,
    client_id    TEXT COLLATE "C" NOT NULL,
    learner_id   TEXT COLLATE "C" NOT NULL,
    type         TEXT NOT NULL,
    name         TEXT,
    date         BIGINT NOT NULL,
    context_type TEXT,
    context_id   TEXT COLLATE "C",
    data         TEXT,          -- JSON object
    with_data    TEXT,          -- JSON object
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX activities_client ON activities (tenant_id, client_id);
CREATE INDEX activities_date ON activities (tenant_id, date, id);
CREATE INDEX activities_learner ON activities (tenant_id, learner_id);
