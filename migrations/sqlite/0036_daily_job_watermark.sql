-- The daily job's watermark (issue 16): the last day the daily surcharge job (the plans'
-- review, then the surcharges) completed. After `serve` was down for days the scheduler
-- queues each missed day once, in order, from the day after it; a day at or before it is
-- done and not redone. One row per daily job (`surcharges` today). Days are YYYY-MM-DD.
CREATE TABLE daily_job_days (
    job        TEXT PRIMARY KEY,
    last_day   TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
