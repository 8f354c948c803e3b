-- Lethe schema, version 3 (SQLite): the content catalogue with the history
-- of actions on each item, and activities. Activities name learners by
-- learner id only; their free text (name, data, with) may name a person and
-- is cleared when the learner is erased. Times are UTC Unix milliseconds.

CREATE TABLE contents (
    tenant_id        TEXT NOT NULL,
    id               TEXT NOT NULL,
    title            TEXT NOT NULL,
    description      TEXT NOT NULL,
    type             TEXT NOT NULL,
    tags             TEXT NOT NULL, -- JSON array of strings
    duration_minutes INTEGER,
    is_official      INTEGER NOT NULL,
    author           TEXT,          -- a learner id
    archived_at      INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX contents_updated ON contents (tenant_id, updated_at);

CREATE TABLE content_history (
    tenant_id  TEXT NOT NULL,
    content_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    action     TEXT NOT NULL,
    actor_type TEXT NOT NULL,
    actor      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, content_id, seq)
);

-- id is the vendor id answered; client_id the id the sender gave, the
-- idempotency key of ingestion.
CREATE TABLE activities (
    tenant_id    TEXT NOT NULL,
    id           TEXT NOT NULL,
    client_id    TEXT NOT NULL,
    learner_id   TEXT NOT NULL,
    type         TEXT NOT NULL,
    name         TEXT,
    date         INTEGER NOT NULL,
    context_type TEXT,
    context_id   TEXT,
    data         TEXT,          -- JSON object
    with_data    TEXT,          -- JSON object
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX activities_client ON activities (tenant_id, client_id);
CREATE INDEX activities_date ON activities (tenant_id, date, id);
CREATE INDEX activities_learner ON activities (tenant_id, learner_id);
