-- The web: sessions of signed-in users, password-reset tokens, failed sign-ins (for rate
-- limiting) and the API tokens of bank clients. Users and their employers are in 0001.
-- Secrets are never stored in clear: session, reset and API tokens by SHA-256 only.

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    -- Sent back in every form; compared with what the form posts (CSRF).
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- A reset token is looked up by its hash; `token_encrypted` (AES-GCM with the account key)
-- lets the mailer put the link in the email, and is cleared once sent or used.
CREATE TABLE password_resets (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    token_sha256    TEXT NOT NULL UNIQUE,
    token_encrypted TEXT,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'used', 'expired')),
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    used_at         TEXT
);
CREATE INDEX password_resets_user ON password_resets (user_id);
CREATE INDEX password_resets_status ON password_resets (status, id);

-- Failed sign-ins, keyed by hashes of the email given and of the client address (no
-- personal data in clear), for rate limiting.
CREATE TABLE login_failures (
    id        INTEGER PRIMARY KEY,
    email_key TEXT NOT NULL,
    ip_key    TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email_key, at);
CREATE INDEX login_failures_ip ON login_failures (ip_key, at);

-- Bank clients: one or more tokens per institution (`bank`, `poste`).
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    institution  TEXT NOT NULL CHECK (institution IN ('bank', 'poste')),
    label        TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
