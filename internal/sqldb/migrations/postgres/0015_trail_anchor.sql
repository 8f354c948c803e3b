-- Lethe schema, version 15 (PostgreSQL): an erasure keeps where the
-- tenant's audit trail stood when it was written (the seq and hash of its
-- head), so its receipt anchors the trail outside the database (ADR 0018).
ALTER TABLE erasures ADD COLUMN trail_seq BIGINT;
ALTER TABLE erasures ADD COLUMN trail_hash BYTEA;
