-- Issue 15: what became of each incoming credit (migration 0021). Matched at import to
-- one employer — by its affiliation number, or a reference of one of its mandates, in the
-- remittance information (the payer's name alone is never enough) — it is recorded as a
-- payment by transfer (`payment_id`, once: a unique key), `status = 'matched'`. Otherwise
-- it waits (`waiting`) for staff, who allocate it to an employer (a payment too,
-- `allocated`) or set it aside as not for the fund, with the reason (`dismissed`).
-- `handled_by`/`handled_at`: who decided and when (the import, or the staff member).
ALTER TABLE incoming_credits ADD COLUMN status TEXT NOT NULL DEFAULT 'waiting'
    CHECK (status IN ('waiting', 'matched', 'allocated', 'dismissed'));
ALTER TABLE incoming_credits ADD COLUMN payment_id INTEGER REFERENCES payments (id);
ALTER TABLE incoming_credits ADD COLUMN matched_by TEXT;
ALTER TABLE incoming_credits ADD COLUMN dismissed_reason TEXT;
ALTER TABLE incoming_credits ADD COLUMN handled_by TEXT;
ALTER TABLE incoming_credits ADD COLUMN handled_at TEXT;
CREATE UNIQUE INDEX incoming_credits_payment ON incoming_credits (payment_id)
    WHERE payment_id IS NOT NULL;
CREATE INDEX incoming_credits_status ON incoming_credits (status, id);
