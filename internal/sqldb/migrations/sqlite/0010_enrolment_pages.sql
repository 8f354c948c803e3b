-- Lethe schema, version 10 (SQLite): an assignment's enrolments in id order.
-- Its enrolment list is paged by id; with only the (assignment, learner)
-- index the list either walked every enrolment of the tenant in id order
-- or sorted every enrolment of the assignment (2.5 s a page for an
-- assignment of 50,000 among 4,000,000 enrolments).
CREATE INDEX enrolments_assignment_page ON enrolments (tenant_id, assignment_id, id);
