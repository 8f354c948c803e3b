-- Lethe schema, version 19 (PostgreSQL): OAuth 2.0 client credentials (issue 17).
--
-- A tenant's OAuth clients: only a keyed hash of each secret is kept. The
-- token endpoint names the tenant, and a token carries tenant and client
-- id, so a client is always found by its key. Revoking deletes the row,
-- and with it every live token of the client (tokens are checked against
-- this row on each request).
CREATE TABLE oauth_clients (
    tenant_id    TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    id           TEXT COLLATE "C" NOT NULL,
    name         TEXT NOT NULL,     -- a label such as "hr-sync"
    scopes       TEXT NOT NULL,     -- space-separated, e.g. "api/read api/write"
    secret_hash  BYTEA NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,           -- written at most once a minute
    PRIMARY KEY (tenant_id, id)
);
