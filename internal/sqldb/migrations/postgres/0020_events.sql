-- Lethe schema, version 20 (PostgreSQL): outbound events (issue 17).
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
    tenant_id       TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    id              TEXT COLLATE "C" NOT NULL,
    url             TEXT NOT NULL,
    types           TEXT NOT NULL,     -- comma-separated subscription types
    secret          BYTEA,              -- sealed (AES-GCM under a server key); NULL: none
    enabled         BOOLEAN NOT NULL,
    disabled_reason TEXT,
    failing_since   BIGINT,
    fanned_seq      BIGINT NOT NULL,      -- the last event fanned out to it (its cursor)
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE event_heads (
    tenant_id TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    seq       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id)
);

CREATE TABLE events (
    tenant_id  TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    seq        BIGINT NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
    type       TEXT NOT NULL,
    subject    TEXT COLLATE "C" NOT NULL,      -- the learner (user, completion, enrolment events) or resource id
    created_at BIGINT NOT NULL,
    payload    TEXT,               -- the body without dispatchedAt; NULL once its subject is erased
    ids        TEXT NOT NULL,      -- the body with ids only, sent once payload is erased
    PRIMARY KEY (tenant_id, seq)
);
CREATE UNIQUE INDEX events_id ON events (tenant_id, id);
CREATE INDEX events_subject ON events (tenant_id, subject);

CREATE TABLE webhook_deliveries (
    tenant_id       TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    id              TEXT COLLATE "C" NOT NULL,
    subscription_id TEXT COLLATE "C" NOT NULL,
    event_seq       BIGINT NOT NULL,
    subject         TEXT COLLATE "C" NOT NULL,
    state           TEXT NOT NULL,  -- pending, delivered, failed
    attempts        BIGINT NOT NULL,
    next_at         BIGINT,        -- pending: when it may be attempted (the end of a lease while leased)
    lease_owner     TEXT,
    delivered_at    BIGINT,
    last_status     BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (tenant_id, next_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (tenant_id, subscription_id, subject, event_seq);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (tenant_id, event_seq);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (tenant_id, subscription_id, created_at);

CREATE TABLE webhook_attempts (
    tenant_id   TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    delivery_id TEXT COLLATE "C" NOT NULL,
    n           BIGINT NOT NULL,
    subject     TEXT COLLATE "C" NOT NULL,
    at          BIGINT NOT NULL,
    status      BIGINT NOT NULL,   -- 0: no HTTP answer
    error       TEXT,
    latency_ms  BIGINT NOT NULL,
    response    TEXT,               -- the start of the answer; NULL once its subject is erased
    PRIMARY KEY (tenant_id, delivery_id, n)
);
CREATE INDEX webhook_attempts_subject ON webhook_attempts (tenant_id, subject);
