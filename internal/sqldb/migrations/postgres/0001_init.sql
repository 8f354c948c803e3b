-- Lethe schema, version 1 (PostgreSQL). Times are UTC Unix milliseconds, as
-- on SQLite, so both databases round-trip the same values. Keys use the "C"
-- collation so ordering is byte order, identical to SQLite.
-- tenant_id leads every primary key and index of a tenant table.

CREATE TABLE server_secrets (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE tenants (
    id             TEXT COLLATE "C" PRIMARY KEY,
    name           TEXT NOT NULL,
    api_key_hash   BYTEA NOT NULL,
    created_at     BIGINT NOT NULL,
    key_rotated_at BIGINT NOT NULL
);

-- The pseudonymous side of a user: no personal data.
CREATE TABLE learners (
    tenant_id      TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    id             TEXT COLLATE "C" NOT NULL,
    state          TEXT COLLATE "C" NOT NULL CHECK (state IN ('active', 'suspended', 'deleted')),
    role           TEXT NOT NULL,
    login_method   TEXT NOT NULL,
    sso            BOOLEAN NOT NULL DEFAULT FALSE,
    end_date       BIGINT,
    first_login_at BIGINT,
    last_login_at  BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    deleted_at     BIGINT,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX learners_status ON learners (tenant_id, state, end_date, first_login_at);
CREATE INDEX learners_updated ON learners (tenant_id, updated_at);

-- Learner counts per tenant, state, sign-in and end day (the UTC day of the
-- end date, or -1099511627776 for none), changed in the transaction of every
-- write to a learner, so search totals need no count over a million rows. The
-- slot spreads concurrent writers of one tenant over several rows.
CREATE TABLE learner_counts (
    tenant_id TEXT COLLATE "C" NOT NULL,
    state     TEXT COLLATE "C" NOT NULL,
    logged_in BIGINT NOT NULL,
    end_day   BIGINT NOT NULL,
    slot      BIGINT NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, state, logged_in, end_day, slot)
);

-- The personal data of a learner. Hard-deleted on erasure.
CREATE TABLE people (
    tenant_id         TEXT COLLATE "C" NOT NULL,
    learner_id        TEXT COLLATE "C" NOT NULL,
    ref               TEXT COLLATE "C" NOT NULL,
    email             TEXT,
    email_norm        TEXT COLLATE "C",
    first_name        TEXT NOT NULL,
    last_name         TEXT NOT NULL,
    job_title         TEXT,
    manager_ref       TEXT COLLATE "C",
    domain            TEXT,
    time_zone         TEXT,
    language_code     TEXT,
    start_date        BIGINT,
    additional_fields TEXT,
    PRIMARY KEY (tenant_id, learner_id),
    FOREIGN KEY (tenant_id, learner_id) REFERENCES learners (tenant_id, id)
);
CREATE UNIQUE INDEX people_ref ON people (tenant_id, ref);
CREATE UNIQUE INDEX people_email ON people (tenant_id, email_norm);
CREATE INDEX people_manager ON people (tenant_id, manager_ref);

-- Effective-dated history of every lifecycle transition; seq orders the
-- entries of one learner, also within one millisecond.
CREATE TABLE status_history (
    tenant_id  TEXT COLLATE "C" NOT NULL,
    learner_id TEXT COLLATE "C" NOT NULL,
    seq        BIGINT NOT NULL,
    from_state TEXT,
    to_state   TEXT NOT NULL,
    reason     TEXT NOT NULL,
    actor      TEXT NOT NULL,
    source     TEXT NOT NULL,
    at         BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, learner_id, seq),
    FOREIGN KEY (tenant_id, learner_id) REFERENCES learners (tenant_id, id)
);

-- One row per erased learner: ids and counts only.
CREATE TABLE erasures (
    tenant_id  TEXT COLLATE "C" NOT NULL,
    learner_id TEXT COLLATE "C" NOT NULL,
    erased_at  BIGINT NOT NULL,
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
    name TEXT COLLATE "C" PRIMARY KEY,
    at   BIGINT NOT NULL
);

-- Idempotency of inbound provisioning events: the envelope id and a keyed
-- hash of the body, never the body.
CREATE TABLE provisioning_events (
    tenant_id   TEXT COLLATE "C" NOT NULL,
    event_id    TEXT COLLATE "C" NOT NULL,
    body_hash   BYTEA,
    event_type  TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    learner_id  TEXT COLLATE "C" NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, event_id)
);
CREATE INDEX provisioning_events_learner ON provisioning_events (tenant_id, learner_id);
