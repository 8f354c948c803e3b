-- Lethe schema, version 6 (SQLite): free text of kept records is sealed.
-- learner_keys holds one AES-256 data key per learner; an activity's name,
-- data and with, and a CPD entry's activity name and description, are
-- stored in `sealed`, encrypted under the key of the record's learner.
-- Erasure deletes the key, which makes that text unreadable without
-- rewriting the records. Rows written before this version keep their text
-- in the old columns, which erasure clears.
-- activities.client_id holds, from this version, a keyed hash of the
-- sender's id, and an activity is the same as one ingested before when its
-- id and its date are: the unique key leads with the date, so the keys of a
-- batch of recent activities land together at the end of the index rather
-- than at random places (a hash is random).

CREATE TABLE learner_keys (
    tenant_id  TEXT NOT NULL,
    learner_id TEXT NOT NULL,
    data_key   BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, learner_id)
);

ALTER TABLE activities ADD COLUMN sealed BLOB;
ALTER TABLE cpd_entries ADD COLUMN sealed BLOB;

DROP INDEX activities_client;
CREATE UNIQUE INDEX activities_client ON activities (tenant_id, date, client_id);

-- Only rows written before this version hold plain text: erasure finds a
-- learner's through this index without reading the rest of their history.
CREATE INDEX activities_plain_text ON activities (tenant_id, learner_id)
    WHERE name IS NOT NULL OR data IS NOT NULL OR with_data IS NOT NULL;
