-- Lethe schema, version 12 (PostgreSQL): the table exists on both databases
-- so the schemas stay alike; only SQLite seeds defer indexes (see the
-- SQLite migration).
CREATE TABLE deferred_indexes (
    name TEXT PRIMARY KEY,
    sql  TEXT NOT NULL
);
