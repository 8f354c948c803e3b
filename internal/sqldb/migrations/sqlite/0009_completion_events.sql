-- Lethe schema, version 9 (SQLite): a completion's events. Reading a
-- completion says whether it completed an enrolment, which is whether an
-- enrolment event names it; without this index every completion read
-- scanned the whole enrolment history (seconds a page at 100,000 learners).
CREATE INDEX enrolment_history_completion ON enrolment_history (tenant_id, completion_id)
    WHERE completion_id IS NOT NULL;
