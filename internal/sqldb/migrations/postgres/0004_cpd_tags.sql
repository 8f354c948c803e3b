-- Lethe schema, version 4 (PostgreSQL): tags, learners' tags (interests) and
-- skills, skill levels, CPD categories, requirements and log entries.
-- Learners are named by learner id only. cpd_entries.description is free
-- text that may name a person: it is cleared when its learner is erased.
-- Times are UTC Unix milliseconds (BIGINT); keys use the "C" collation.

CREATE TABLE tags (
    tenant_id  TEXT COLLATE "C" NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
    name       TEXT NOT NULL,
    name_key   TEXT COLLATE "C" NOT NULL, -- lower-cased name: names are unique ignoring case
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX tags_name ON tags (tenant_id, name_key);
CREATE INDEX tags_updated ON tags (tenant_id, updated_at);

CREATE TABLE learner_tags (
    tenant_id  TEXT COLLATE "C" NOT NULL,
    learner_id TEXT COLLATE "C" NOT NULL,
    tag_id     TEXT COLLATE "C" NOT NULL,
    added_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, learner_id, tag_id)
);
CREATE INDEX learner_tags_tag ON learner_tags (tenant_id, tag_id, learner_id);

CREATE TABLE learner_skills (
    tenant_id    TEXT COLLATE "C" NOT NULL,
    learner_id   TEXT COLLATE "C" NOT NULL,
    tag_id       TEXT COLLATE "C" NOT NULL,
    level        BIGINT,
    target_level BIGINT,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, learner_id, tag_id)
);
CREATE INDEX learner_skills_tag ON learner_skills (tenant_id, tag_id, learner_id);

CREATE TABLE skill_levels (
    tenant_id TEXT COLLATE "C" NOT NULL,
    value     BIGINT NOT NULL,
    name      TEXT NOT NULL,
    enabled   BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, value)
);

CREATE TABLE cpd_categories (
    tenant_id  TEXT COLLATE "C" NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX cpd_categories_updated ON cpd_categories (tenant_id, updated_at);

CREATE TABLE cpd_requirements (
    tenant_id        TEXT COLLATE "C" NOT NULL,
    id               TEXT COLLATE "C" NOT NULL,
    audience_id      TEXT COLLATE "C" NOT NULL,
    required_minutes BIGINT NOT NULL CHECK (required_minutes >= 0),
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX cpd_requirements_updated ON cpd_requirements (tenant_id, updated_at);

CREATE TABLE cpd_entries (
    tenant_id        TEXT COLLATE "C" NOT NULL,
    id               TEXT COLLATE "C" NOT NULL,
    learner_id       TEXT COLLATE "C" NOT NULL,
    category_id      TEXT COLLATE "C",
    activity_type    TEXT NOT NULL,
    activity_name    TEXT NOT NULL,
    entry_date       BIGINT NOT NULL,
    duration_minutes BIGINT NOT NULL CHECK (duration_minutes >= 0),
    description      TEXT,
    is_verified      BOOLEAN NOT NULL,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
-- Entries are paged in entry date order; summaries read an index alone.
CREATE INDEX cpd_entries_date ON cpd_entries (tenant_id, entry_date, id, learner_id, duration_minutes);
CREATE INDEX cpd_entries_learner ON cpd_entries (tenant_id, learner_id, entry_date, duration_minutes);
