-- Lethe schema, version 13 (PostgreSQL): the time window of activities is
-- ordered by (date, client_id), which activities_client serves, so the
-- index on (date, id) goes. It cost each ingested activity one more
-- entry, written in random order within its date (ADR 0015).
DROP INDEX IF EXISTS activities_date;
