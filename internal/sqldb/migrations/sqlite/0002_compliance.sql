-- Lethe schema, version 2 (SQLite): audiences, members, managers,
-- assignments, enrolments and completions. None of these tables holds
-- personal data: learners are named by learner id only. Times are UTC Unix
-- milliseconds; periods are days.

CREATE TABLE audiences (
    tenant_id      TEXT NOT NULL,
    id             TEXT NOT NULL,
    reference      TEXT,
    name           TEXT NOT NULL,
    category       TEXT NOT NULL CHECK (category IN ('audience', 'structure')),
    type           TEXT NOT NULL,
    api_controlled INTEGER NOT NULL,
    parent_id      TEXT,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX audiences_reference ON audiences (tenant_id, reference);
CREATE INDEX audiences_parent ON audiences (tenant_id, parent_id);

CREATE TABLE audience_members (
    tenant_id   TEXT NOT NULL,
    audience_id TEXT NOT NULL,
    learner_id  TEXT NOT NULL,
    added_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, audience_id, learner_id)
);
CREATE INDEX audience_members_learner ON audience_members (tenant_id, learner_id);

CREATE TABLE audience_managers (
    tenant_id   TEXT NOT NULL,
    audience_id TEXT NOT NULL,
    learner_id  TEXT NOT NULL,
    permissions TEXT NOT NULL,
    added_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, audience_id, learner_id)
);
CREATE INDEX audience_managers_learner ON audience_managers (tenant_id, learner_id);

CREATE TABLE assignments (
    tenant_id                TEXT NOT NULL,
    id                       TEXT NOT NULL,
    audience_id              TEXT NOT NULL,
    primary_content_id       TEXT NOT NULL,
    alternative_content_ids  TEXT NOT NULL,
    hide_alternative_content INTEGER NOT NULL,
    completion_period        INTEGER NOT NULL,
    recurrence               INTEGER,
    is_active                INTEGER NOT NULL,
    deleted_at               INTEGER,
    created_at               INTEGER NOT NULL,
    updated_at               INTEGER NOT NULL,
    -- The learner id after which audience members may still lack an
    -- enrolment, while the enrolments of a new assignment are being
    -- written in batches; NULL once every member has one. A restarted
    -- server resumes from here (AssignmentService.ResumeEnrolments).
    enrol_cursor             TEXT,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX assignments_audience ON assignments (tenant_id, audience_id);

CREATE TABLE completions (
    tenant_id       TEXT NOT NULL,
    id              TEXT NOT NULL,
    learner_id      TEXT NOT NULL,
    content_id      TEXT NOT NULL,
    completed_at    INTEGER NOT NULL,
    is_rpl          INTEGER NOT NULL,
    completion_type TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX completions_learner ON completions (tenant_id, learner_id, content_id, completed_at);
CREATE INDEX completions_content ON completions (tenant_id, content_id);

-- The status of an enrolment is derived at read time (lethe.EnrolmentStatusAt).
CREATE TABLE enrolments (
    tenant_id          TEXT NOT NULL,
    id                 TEXT NOT NULL,
    assignment_id      TEXT NOT NULL,
    learner_id         TEXT NOT NULL,
    audience_id        TEXT NOT NULL,
    assigned           INTEGER NOT NULL,
    available_at       INTEGER NOT NULL,
    due_at             INTEGER NOT NULL,
    last_completed_at  INTEGER,
    last_completion_id TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX enrolments_assignment ON enrolments (tenant_id, assignment_id, learner_id);
CREATE INDEX enrolments_learner ON enrolments (tenant_id, learner_id);
-- Members leaving or joining an audience change its enrolments.
CREATE INDEX enrolments_audience ON enrolments (tenant_id, audience_id, learner_id);

CREATE TABLE enrolment_history (
    tenant_id       TEXT NOT NULL,
    enrolment_id    TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    type            TEXT NOT NULL,
    completion_id   TEXT,
    previous_status TEXT,
    next_status     TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, enrolment_id, seq)
);
