-- Lethe schema, version 22 (PostgreSQL): console accounts and sessions (issue 18).
--
-- The people who sign in to the admin console, per tenant. The email is
-- the sign-in name, kept as given, and compared by email_norm (lower case,
-- NFC), unique in the tenant. It is staff data, not a learner's: erasing a
-- learner leaves it. The password is kept only as an argon2id hash (a PHC
-- string), NULL until the set-password link is used. The TOTP secret is
-- sealed (AES-256-GCM under a key derived from the server secret);
-- totp_pending is a secret started and not yet confirmed; totp_last_step
-- is the last 30-second step whose code was accepted, so a code works once.
CREATE TABLE console_accounts (
    tenant_id      TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    id             TEXT COLLATE "C" NOT NULL, -- "adm_" and 24 hex digits
    email          TEXT NOT NULL,
    email_norm     TEXT COLLATE "C" NOT NULL,
    role           TEXT NOT NULL,     -- admin, operator or viewer
    password_hash  TEXT,
    totp_secret    BYTEA,
    totp_pending   BYTEA,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    last_login_at  BIGINT,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX console_accounts_email ON console_accounts (tenant_id, email_norm);

-- One-time set-password links: only a keyed hash of each token is kept. A
-- token names no tenant, so it is found by its hash alone
-- (console_password_tokens_token, like scim_tokens_secret).
CREATE TABLE console_password_tokens (
    tenant_id  TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    token_hash BYTEA NOT NULL,
    account_id TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL,
    used       BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (tenant_id, token_hash)
);
CREATE UNIQUE INDEX console_password_tokens_token ON console_password_tokens (token_hash);
CREATE INDEX console_password_tokens_account ON console_password_tokens (tenant_id, account_id);

-- Signed-in browsers: only a keyed hash of each session token is kept,
-- found by it alone (console_sessions_token). seen_at is written at most
-- once a minute; a session ends idle or at expires_at, whichever is first.
CREATE TABLE console_sessions (
    tenant_id  TEXT COLLATE "C" NOT NULL REFERENCES tenants (id),
    token_hash BYTEA NOT NULL,
    id         TEXT COLLATE "C" NOT NULL, -- "ses_" and 24 hex digits
    account_id TEXT COLLATE "C" NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    seen_at    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX console_sessions_token ON console_sessions (token_hash);
CREATE INDEX console_sessions_account ON console_sessions (tenant_id, account_id);
