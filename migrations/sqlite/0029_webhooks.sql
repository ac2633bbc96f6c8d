-- Webhooks (issue 20, point 10): an employer's endpoints, where each notice it is sent is
-- also POSTed as signed JSON for its payroll or accounting software.
-- The signing secret is encrypted at rest (AES-256-GCM, the fund's key, its own purpose).
CREATE TABLE webhook_endpoints (
    id               INTEGER PRIMARY KEY,
    employer_id      INTEGER NOT NULL REFERENCES employers (id),
    url              TEXT NOT NULL,
    secret_encrypted TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    secret_set_at    TEXT NOT NULL,
    removed_at       TEXT
);
CREATE INDEX webhook_endpoints_employer ON webhook_endpoints (employer_id, id);

-- One delivery per endpoint and notice event (the unique key): written in the transaction
-- that records the notice event, delivered by the webhook worker of `serve`, retried with
-- exponential backoff up to a limit. `event_id` is the notice event's id (no foreign key:
-- an advance notice withdrawn before anything was sent takes its pending deliveries along,
-- while a delivered one stays in the log).
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY,
    endpoint_id      INTEGER NOT NULL REFERENCES webhook_endpoints (id),
    employer_id      INTEGER NOT NULL REFERENCES employers (id),
    event_id         INTEGER NOT NULL,
    kind             TEXT NOT NULL,
    subject_id       INTEGER NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT,
    locked_by        TEXT,
    locked_until     TEXT,
    last_status_code INTEGER,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    delivered_at     TEXT,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_ready ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_employer ON webhook_deliveries (employer_id, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

-- Every attempt, for the delivery log: when, the answer's status code or the error.
CREATE TABLE webhook_attempts (
    id           INTEGER PRIMARY KEY,
    delivery_id  INTEGER NOT NULL REFERENCES webhook_deliveries (id),
    attempted_at TEXT NOT NULL,
    status_code  INTEGER,
    error        TEXT,
    duration_ms  INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
