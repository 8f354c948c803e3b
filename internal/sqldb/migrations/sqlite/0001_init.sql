-- Lethe schema, version 1 (SQLite). Times are UTC Unix milliseconds.
-- tenant_id leads every primary key and index of a tenant table.

CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE tenants (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    api_key_hash   BLOB NOT NULL,
    created_at     INTEGER NOT NULL,
    key_rotated_at INTEGER NOT NULL
);

-- The pseudonymous side of a user: no personal data.
CREATE TABLE learners (
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    id             TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('active', 'suspended', 'deleted')),
    role           TEXT NOT NULL,
    login_method   TEXT NOT NULL,
    sso            INTEGER NOT NULL DEFAULT 0,
    end_date       INTEGER,
    first_login_at INTEGER,
    last_login_at  INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    deleted_at     INTEGER,
    PRIMARY KEY (tenant_id, id)
);
-- Status filters: state plus end date decide new/active/inactive/expired.
CREATE INDEX learners_status ON learners (tenant_id, state, end_date, first_login_at);
CREATE INDEX learners_updated ON learners (tenant_id, updated_at);

-- Learner counts per tenant, state, sign-in and end day (the UTC day of the
-- end date, or -1099511627776 for none), changed in the transaction of every
-- write to a learner, so search totals need no count over a million rows. The
-- slot spreads concurrent writers of one tenant over several rows.
CREATE TABLE learner_counts (
    tenant_id TEXT NOT NULL,
    state     TEXT NOT NULL,
    logged_in INTEGER NOT NULL,
    end_day   INTEGER NOT NULL,
    slot      INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, state, logged_in, end_day, slot)
);

-- The personal data of a learner. Hard-deleted on erasure.
CREATE TABLE people (
    tenant_id         TEXT NOT NULL,
    learner_id        TEXT NOT NULL,
    ref               TEXT NOT NULL,
    email             TEXT,
    email_norm        TEXT,
    first_name        TEXT NOT NULL,
    last_name         TEXT NOT NULL,
    job_title         TEXT,
    manager_ref       TEXT,
    domain            TEXT,
    time_zone         TEXT,
    language_code     TEXT,
    start_date        INTEGER,
    additional_fields TEXT,
    PRIMARY KEY (tenant_id, learner_id),
    FOREIGN KEY (tenant_id, learner_id) REFERENCES learners (tenant_id, id)
);
CREATE UNIQUE INDEX people_ref ON people (tenant_id, ref);
CREATE UNIQUE INDEX people_email ON people (tenant_id, email_norm);
-- Erasing a manager clears the manager ref of their reports.
CREATE INDEX people_manager ON people (tenant_id, manager_ref);

-- Effective-dated history of every lifecycle transition; seq orders the
-- entries of one learner, also within one millisecond.
CREATE TABLE status_history (
    tenant_id  TEXT NOT NULL,
    learner_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    actor      TEXT NOT NULL,
    source     TEXT NOT NULL,
    at         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, learner_id, seq),
    FOREIGN KEY (tenant_id, learner_id) REFERENCES learners (tenant_id, id)
);

-- One row per erased learner: ids and counts only.
CREATE TABLE erasures (
    tenant_id  TEXT NOT NULL,
    learner_id TEXT NOT NULL,
    erased_at  INTEGER NOT NULL,
    source     TEXT NOT NULL,
    actor      TEXT NOT NULL,
    erased     TEXT NOT NULL,
    kept       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, learner_id),
    FOREIGN KEY (tenant_id, learner_id) REFERENCES learners (tenant_id, id)
);

-- Finds erasures since the last rewrite of the personal-data tables.
CREATE INDEX erasures_at ON erasures (tenant_id, erased_at);

-- Server-wide maintenance marks, e.g. when the personal-data tables were last
-- rewritten (see DB.RewritePersonalData).
CREATE TABLE maintenance (
    name TEXT PRIMARY KEY,
    at   INTEGER NOT NULL
);

-- Idempotency of inbound provisioning events: the envelope id and a keyed
-- hash of the body, never the body. body_hash is cleared when the learner is
-- erased, so nothing derived from personal data remains.
CREATE TABLE provisioning_events (
    tenant_id   TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    body_hash   BLOB,
    event_type  TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    learner_id  TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX provisioning_events_learner ON provisioning_events (tenant_id, learner_id);
