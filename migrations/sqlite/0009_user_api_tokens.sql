-- Personal API tokens of employer users: the JSON API's employer routes (`/api/v1/mandates`,
-- `/api/v1/declarations`, `/api/v1/collections`) answer with the data of the employers the
-- token's user acts for — looked up at each request, so a user who loses an employer (or is
-- disabled) loses it through the token too. Stored as SHA-256 only; the token is shown once.
CREATE TABLE user_api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    label        TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX user_api_tokens_user ON user_api_tokens (user_id, id);

-- Password-reset emails are sent by the notice worker: one worker claims an email (until
-- `locked_until`) before sending it, so two workers never both send the same link.
ALTER TABLE password_resets ADD COLUMN locked_by TEXT;
ALTER TABLE password_resets ADD COLUMN locked_until TEXT;
