-- Issue 15: what became of each incoming credit (migration 0021). Matched at import to
-- one employer — by its affiliation number, or a reference of one of its mandates, in the
-- remittance information (the payer's name alone is never enough) — it is recorded as a
-- payment by transfer (`payment_id`, once: a unique key), `status = 'matched'`. Otherwise
-- it waits (`waiting`) for staff, who allocate it to an employer (a payment too,
-- `allocated`) or set it aside as not for the fund, with the reason (`dismissed`).
-- `handled_by`/`handled_at`: who decided and when (the import, or the staff member).
-- `waiting_reason`: why the import left a credit naming one employer waiting
-- (`transfer_already_recorded`: that employer has a transfer of the same amount within 10
-- days recorded by hand — maybe this money; `possible_repeat`: no bank or payer reference,
-- and the same day, amount and account are in another report).
-- Credits kept before this migration are `before_matching`: never matched, nor offered on
-- the console's page (they were received before matching existed and may already have
-- been recorded by hand; staff see them in the reports as before).
-- `dedupe_key`: one transfer reported twice (an intraday camt.052, then the day's
-- camt.053) is kept once — unique per source by booking day | amount in centimes | the
-- bank's `AcctSvcrRef`, else the payer's EndToEndId | the payer account's keyed index;
-- NULL without either reference (then the import lets staff decide, `possible_repeat`).
ALTER TABLE incoming_credits ADD COLUMN status TEXT NOT NULL DEFAULT 'waiting'
    CHECK (status IN ('before_matching', 'waiting', 'matched', 'allocated', 'dismissed'));
UPDATE incoming_credits SET status = 'before_matching';
ALTER TABLE incoming_credits ADD COLUMN waiting_reason TEXT;
ALTER TABLE incoming_credits ADD COLUMN dedupe_key TEXT;
CREATE UNIQUE INDEX incoming_credits_dedupe ON incoming_credits (source, dedupe_key)
    WHERE dedupe_key IS NOT NULL;
ALTER TABLE incoming_credits ADD COLUMN payment_id INTEGER REFERENCES payments (id);
ALTER TABLE incoming_credits ADD COLUMN matched_by TEXT;
ALTER TABLE incoming_credits ADD COLUMN dismissed_reason TEXT;
ALTER TABLE incoming_credits ADD COLUMN handled_by TEXT;
ALTER TABLE incoming_credits ADD COLUMN handled_at TEXT;
CREATE UNIQUE INDEX incoming_credits_payment ON incoming_credits (payment_id)
    WHERE payment_id IS NOT NULL;
CREATE INDEX incoming_credits_status ON incoming_credits (status, id);
