-- Lethe schema, version 18 (PostgreSQL): SCIM 2.0 (issue 16).
--
-- The bearer tokens an identity provider signs in with, per tenant: only a
-- keyed hash of each secret is kept. A token names no tenant, so it is found
-- by its hash alone (scim_tokens_secret, the one key of a tenant table not
-- led by tenant_id: authentication is how the tenant is found).
CREATE TABLE scim_tokens (
    tenant_id    TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    id           TEXT COLLATE "C" NOT NULL,
    name         TEXT NOT NULL,     -- a label such as "entra-prod"
    secret_hash  BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,           -- written at most once a minute
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX scim_tokens_secret ON scim_tokens (secret_hash);

-- The identity provider's own id of a person (SCIM externalId): personal
-- data, on the person's row, so it goes with it.
ALTER TABLE people ADD COLUMN scim_external_id TEXT COLLATE "C";
CREATE INDEX people_scim_external ON people (tenant_id, scim_external_id);
-- SCIM's userName is the ref, unique ignoring case: looked up by lower(ref).
CREATE INDEX people_ref_lower ON people (tenant_id, lower(ref));

-- The audiences created through SCIM: /Groups shows only these.
CREATE TABLE scim_groups (
    tenant_id   TEXT COLLATE "C" NOT NULL,
    audience_id TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant_id, audience_id),
    FOREIGN KEY (tenant_id, audience_id) REFERENCES audiences (tenant_id, id) ON DELETE CASCADE
);

-- The tenant's SCIM attribute mapping, JSON; NULL for the default.
ALTER TABLE tenant_settings ADD COLUMN scim_additional_fields TEXT;
