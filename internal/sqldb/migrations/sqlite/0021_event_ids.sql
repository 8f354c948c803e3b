-- Lethe schema, version 21 (SQLite): events cost a change less (issue 17).
--
-- An event's id now carries its number (evt_ + 12 hex digits of seq + 12
-- random ones), so the events_id index goes: an id is found by its number
-- and checked. Ids of the events written before keep their form and are
-- found by a scan. The table is keyed by (tenant_id, seq) alone, without a
-- rowid: one b-tree fewer to write at every emitting commit. event_heads
-- is now the tenant's number floor, raised when events are pruned: the
-- last number is the newest event's, or the floor when none is newer.
CREATE TABLE events_v21 (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    seq        INTEGER NOT NULL,
    id         TEXT NOT NULL,
    type       TEXT NOT NULL,
    subject    TEXT NOT NULL,      -- the learner (user, completion, enrolment events) or resource id
    created_at INTEGER NOT NULL,
    payload    TEXT,               -- the body without dispatchedAt; NULL once its subject is erased
    ids        TEXT NOT NULL,      -- the body with ids only, sent once payload is erased
    PRIMARY KEY (tenant_id, seq)
) WITHOUT ROWID;
INSERT INTO events_v21 (tenant_id, seq, id, type, subject, created_at, payload, ids)
    SELECT tenant_id, seq, id, type, subject, created_at, payload, ids FROM events;
DROP TABLE events;
ALTER TABLE events_v21 RENAME TO events;
CREATE INDEX events_subject ON events (tenant_id, subject);
