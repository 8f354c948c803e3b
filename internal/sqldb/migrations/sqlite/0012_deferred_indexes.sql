-- Lethe schema, version 12 (SQLite): indexes a seed of an empty database
-- dropped, to build them once at the end by sorting rather than entry by
-- entry (lethe seed). Open builds any still listed, so a seed interrupted
-- before the end leaves no database without its indexes.
CREATE TABLE deferred_indexes (
    name TEXT PRIMARY KEY,
    sql  TEXT NOT NULL
);
