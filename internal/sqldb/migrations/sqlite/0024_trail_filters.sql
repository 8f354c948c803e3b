-- Lethe schema, version 24 (SQLite): the console's trail page (issue 18)
-- reads the trail filtered by action or by subject, newest first, a page
-- at a time: each filter is a range of its own index, read backwards, and
-- the list of the actions present hops along audit_trail_action.
CREATE INDEX audit_trail_action ON audit_trail (tenant_id, action, seq);
CREATE INDEX audit_trail_subject ON audit_trail (tenant_id, subject, seq);
