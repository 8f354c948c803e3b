-- Lethe schema, version 16 (PostgreSQL): idempotency records (ADR 0017). A call
-- holds its key while it runs (status 0, renewed through created_at, its
-- token in holder, which renewing, saving and releasing check); the
-- learner each kept answer names is a row of idempotency_learners, which
-- erasure deletes with the learner, so a replay after an erasure no longer
-- names them. Answers kept before held learner ids in their text: they go
-- (a retry of such a call acts again and finds its users done: unchanged).
-- Expired answers are purged tenant by tenant (idempotency_keys_created).
DELETE FROM idempotency_keys;
CREATE TABLE idempotency_learners (
    tenant_id  TEXT COLLATE "C" NOT NULL,
    key_hash   BYTEA NOT NULL,
    seq        BIGINT NOT NULL,  -- the position of the result in the answer
    learner_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, key_hash, seq)
);
CREATE INDEX idempotency_learners_learner ON idempotency_learners (tenant_id, learner_id);
ALTER TABLE idempotency_keys ADD COLUMN holder TEXT; -- the token of the call holding the key (status 0)
