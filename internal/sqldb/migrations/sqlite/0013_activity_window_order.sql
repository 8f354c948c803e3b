-- Lethe schema, version 13 (SQLite): the time window of activities is
-- ordered by (date, client_id), which activities_client serves, so the
-- index on (date, id) goes. It cost each ingested activity one more
-- entry, written in random order within its date (ADR 0015).
DROP INDEX IF EXISTS activities_date;
-- A seed interrupted before it built its indexes must not build it again.
DELETE FROM deferred_indexes WHERE name = 'activities_date';
