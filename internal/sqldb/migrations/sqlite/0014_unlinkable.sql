-- Lethe schema, version 14 (SQLite): what links an erased or anonymized
-- person to their kept records goes (ADR 0016).
-- A tombstone says whether its ref or email was erased (or purged) or
-- anonymized: deleting an anonymized person's old ref again is not a
-- repeated erasure, since their account stays.
ALTER TABLE tombstones ADD COLUMN mode TEXT NOT NULL DEFAULT 'erase' CHECK (mode IN ('erase', 'anonymize'));
-- The sender's timestamp of the provisioning event that created a learner:
-- an event older than the creation of the ref's holder is refused, on the
-- sender's own clock.
ALTER TABLE learners ADD COLUMN provisioned_at INTEGER;
-- Provisioning events of erased and anonymized learners no longer name
-- them: a replayed envelope id must not lead to the learner.
UPDATE provisioning_events SET learner_id = '', body_hash = NULL
WHERE learner_id <> '' AND EXISTS (SELECT 1 FROM learners l WHERE l.tenant_id = provisioning_events.tenant_id
    AND l.id = provisioning_events.learner_id AND (l.state = 'deleted' OR l.anonymized_at IS NOT NULL));
