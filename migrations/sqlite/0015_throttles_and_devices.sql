-- Throttles that hold (issue 17): one counter row per bucket (the hash of an account, a
-- device or a client address, with what it counts: sign-ins, reset requests), bumped and
-- read back in one statement (`INSERT … ON CONFLICT DO UPDATE … RETURNING hits`), so the
-- decision and the recorded attempt are one atomic step under any concurrency. A counter
-- starts again at 1 when its window has passed.
CREATE TABLE throttle_counters (
    bucket       TEXT PRIMARY KEY,
    window_start TEXT NOT NULL,
    hits         INTEGER NOT NULL
);
CREATE INDEX throttle_counters_window ON throttle_counters (window_start);

-- Devices a user signed in from (a long-lived random cookie, kept as SHA-256): a device
-- that signed in before passes an account's lockout with the right password, so failures
-- from elsewhere only lock out the places that do not know the password.
CREATE TABLE known_devices (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL
);
CREATE INDEX known_devices_user ON known_devices (user_id);
