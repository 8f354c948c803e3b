-- Lethe schema, version 20 (SQLite): outbound events (issue 17).
--
-- A change writes its events (events) in its own transaction: the outbox.
-- Events are numbered per tenant in commit order (event_heads, locked until
-- the commit). The delivery engine fans them out: each subscription's cursor
-- is the last event it was given a delivery of (webhook_deliveries). Any
-- process claims due deliveries by moving next_at to the end of a lease and
-- naming itself in lease_owner; a crash leaves the lease to expire and
-- another process to retry. Deliveries of one subject to one subscription
-- go out in event order.
--
-- Personal data: an event's payload (the vendor's resource, e.g. a user's
-- names and email) and an attempt's stored answer are erased with the
-- person the event is about (subject); ids, the ids-only payload, are kept.
CREATE TABLE webhook_subscriptions (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    id              TEXT NOT NULL,
    url             TEXT NOT NULL,
    types           TEXT NOT NULL,     -- comma-separated subscription types
    secret          BLOB,              -- sealed (AES-GCM under a server key); NULL: none
    enabled         BOOLEAN NOT NULL,
    disabled_reason TEXT,
    failing_since   INTEGER,
    fanned_seq      INTEGER NOT NULL,      -- the last event fanned out to it (its cursor)
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE event_heads (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    seq       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id)
) WITHOUT ROWID;

CREATE TABLE events (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    seq        INTEGER NOT NULL,
    id         TEXT NOT NULL,
    type       TEXT NOT NULL,
    subject    TEXT NOT NULL,      -- the learner (user, completion, enrolment events) or resource id
    created_at INTEGER NOT NULL,
    payload    TEXT,               -- the body without dispatchedAt; NULL once its subject is erased
    ids        TEXT NOT NULL,      -- the body with ids only, sent once payload is erased
    PRIMARY KEY (tenant_id, seq)
);
CREATE UNIQUE INDEX events_id ON events (tenant_id, id);
CREATE INDEX events_subject ON events (tenant_id, subject);

CREATE TABLE webhook_deliveries (
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    id              TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    event_seq       INTEGER NOT NULL,
    subject         TEXT NOT NULL,
    state           TEXT NOT NULL,  -- pending, delivered, failed
    attempts        INTEGER NOT NULL,
    next_at         INTEGER,        -- pending: when it may be attempted (the end of a lease while leased)
    lease_owner     TEXT,
    delivered_at    INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (tenant_id, next_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (tenant_id, subscription_id, subject, event_seq);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (tenant_id, event_seq);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (tenant_id, subscription_id, created_at);

CREATE TABLE webhook_attempts (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    delivery_id TEXT NOT NULL,
    n           INTEGER NOT NULL,
    subject     TEXT NOT NULL,
    at          INTEGER NOT NULL,
    status      INTEGER NOT NULL,   -- 0: no HTTP answer
    error       TEXT,
    latency_ms  INTEGER NOT NULL,
    response    TEXT,               -- the start of the answer; NULL once its subject is erased
    PRIMARY KEY (tenant_id, delivery_id, n)
);
CREATE INDEX webhook_attempts_subject ON webhook_attempts (tenant_id, subject);
