-- Issue 18: what a report's entries mean.
-- Each item keeps why it is informational (`meaning`: pending, foreign_currency,
-- other_transaction, other_creditor, unlinked; or inexact_amount, refund_claim,
-- reversed_debit for staff), the
-- entry's booking and value dates (a settlement is dated by its booking date), its
-- credit/debit indicator, and its currency with the amount as written when it is not a
-- whole number of hundredths (3-decimal currencies: `amount_centimes` stays NULL).
ALTER TABLE report_items ADD COLUMN meaning TEXT;
ALTER TABLE report_items ADD COLUMN booked_on TEXT;
ALTER TABLE report_items ADD COLUMN value_date TEXT;
ALTER TABLE report_items ADD COLUMN credit_debit TEXT;
ALTER TABLE report_items ADD COLUMN currency TEXT;
ALTER TABLE report_items ADD COLUMN amount_text TEXT;

-- Money booked to the fund's account that is not one of its collections (a transfer, a
-- payment by another channel), kept so a later ledger step can match it to an employer.
-- `amount_centimes` only for DZD (else NULL and `amount_text`, as written). Personal data
-- is encrypted (AES-256-GCM, like account numbers): the payer's name, the remittance
-- information and the payer's account, which also has its keyed index (the same HMAC as
-- `accounts.number_index`, so it finds the employer whose account paid) and a masked form.
-- One entry reported twice (an intraday camt.052, then the day's camt.053) is kept once:
-- unique by the bank's own reference of the entry (`AcctSvcrRef`) per source.
CREATE TABLE incoming_credits (
    id                       INTEGER PRIMARY KEY,
    report_id                INTEGER NOT NULL REFERENCES reports (id),
    item                     INTEGER NOT NULL,
    source                   TEXT NOT NULL,
    entry_key                TEXT,
    amount_centimes          INTEGER,
    amount_text              TEXT NOT NULL,
    currency                 TEXT,
    booked_on                TEXT,
    value_date               TEXT,
    entry_reference          TEXT,
    debtor_name_encrypted    TEXT,
    remittance_encrypted     TEXT,
    debtor_account_encrypted TEXT,
    debtor_account_index     TEXT,
    debtor_account_masked    TEXT,
    employer_id              INTEGER REFERENCES employers (id),
    created_at               TEXT NOT NULL,
    UNIQUE (report_id, item)
);
CREATE UNIQUE INDEX incoming_credits_entry ON incoming_credits (source, entry_key)
    WHERE entry_key IS NOT NULL;
CREATE INDEX incoming_credits_account ON incoming_credits (debtor_account_index);
