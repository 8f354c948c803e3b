-- Lethe schema, version 23 (PostgreSQL): a reviewer may exclude users from
-- a dormant-account audit's preview before applying it (issue 18). Their
-- items get outcome 'excluded'; jobs.excluded counts them, beside done,
-- unchanged, skipped and failed, and they count as processed.
ALTER TABLE jobs ADD COLUMN excluded BIGINT NOT NULL DEFAULT 0;

-- An exclusion repeated finds the items it excluded already by learner.
CREATE INDEX job_items_excluded ON job_items (tenant_id, job_id, learner_id) WHERE outcome = 'excluded';
