-- Lethe schema, version 11 (SQLite): learners of each state in id order, with
-- the columns of a status. A page of a status that many learners have
-- (new, active, expired: all of state active) walks this index from the
-- state's first id, so the learners of other states cost nothing: a page
-- of active users behind 150,000 erased ones, at 1,000,000 users, had to
-- step over every one of them (79 ms at p99).
CREATE INDEX learners_page ON learners (tenant_id, state, id, end_date, first_login_at);
