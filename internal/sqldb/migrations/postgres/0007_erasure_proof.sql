-- Lethe schema, version 7 (PostgreSQL): proof and policy of erasure.
-- Times are UTC Unix milliseconds.

-- A tenant's deletion policy; no row means the defaults (erase at once,
-- tombstones kept 30 days).
CREATE TABLE tenant_settings (
    tenant_id      TEXT COLLATE "C" PRIMARY KEY,
    deletion_mode  TEXT NOT NULL CHECK (deletion_mode IN ('erase', 'restricted')),
    grace_days     BIGINT NOT NULL CHECK (grace_days >= 0),
    tombstone_days BIGINT NOT NULL CHECK (tombstone_days >= 0),
    updated_at     BIGINT NOT NULL
);

-- Erasures waiting for the end of the tenant's grace period: the learner is
-- suspended meanwhile; reactivating deletes the row (cancels).
CREATE TABLE pending_erasures (
    tenant_id    TEXT COLLATE "C" NOT NULL,
    learner_id   TEXT COLLATE "C" NOT NULL,
    due_at       BIGINT NOT NULL,
    requested_at BIGINT NOT NULL,
    source       TEXT NOT NULL,
    actor        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, learner_id)
);
CREATE INDEX pending_erasures_due ON pending_erasures (tenant_id, due_at);

-- After an erasure, a keyed hash (per-tenant key) of the erased ref and
-- email with the time, so a delayed provisioning event older than the
-- erasure cannot recreate the person. Kept for the tenant's window.
CREATE TABLE tombstones (
    tenant_id TEXT COLLATE "C" NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('ref', 'email')),
    hash      BYTEA NOT NULL,
    erased_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind, hash)
);
CREATE INDEX tombstones_erased ON tombstones (tenant_id, erased_at);

-- Who did what to whom, by internal ids only; append-only and hash-chained
-- per tenant: hash = SHA-256(previous hash, the entry). audit_heads holds
-- each tenant's last entry, so removing entries from the end shows too.
CREATE TABLE audit_trail (
    tenant_id TEXT COLLATE "C" NOT NULL,
    seq       BIGINT NOT NULL,
    at        BIGINT NOT NULL,
    action    TEXT NOT NULL,
    source    TEXT NOT NULL,
    actor     TEXT NOT NULL,
    subject   TEXT COLLATE "C" NOT NULL,
    detail    TEXT NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash      BYTEA NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE TABLE audit_heads (
    tenant_id TEXT COLLATE "C" PRIMARY KEY,
    seq       BIGINT NOT NULL,
    hash      BYTEA NOT NULL
);

-- An erasure is an erasure or an anonymization; requested_at differs from
-- erased_at after a grace period.
ALTER TABLE erasures ADD COLUMN mode TEXT NOT NULL DEFAULT 'erase';
ALTER TABLE erasures ADD COLUMN requested_at BIGINT;
-- Anonymized accounts stay suspended for good.
ALTER TABLE learners ADD COLUMN anonymized_at BIGINT;
