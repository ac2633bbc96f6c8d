-- The collections counted per date, kept exact by the transactions that change them
-- (src/store/collection_totals.rs): the console's dashboard, the next runs and the
-- summaries read these few rows instead of counting every debit of the history.
-- One row per date and kind of debit: its channel, state, reason category ('' for none),
-- whether it is in a file (`presented`: bank_file_id set) and held by staff (`held`).
CREATE TABLE collection_totals (
    collection_date  TEXT NOT NULL,
    channel          TEXT NOT NULL,
    status           TEXT NOT NULL,
    reason_category  TEXT NOT NULL,
    presented        BIGINT NOT NULL,
    held             BIGINT NOT NULL,
    debits           BIGINT NOT NULL,
    amount_centimes  BIGINT NOT NULL,
    PRIMARY KEY (collection_date, channel, status, reason_category, presented, held)
);

INSERT INTO collection_totals (collection_date, channel, status, reason_category, presented, held,
    debits, amount_centimes)
SELECT collection_date, channel, status, COALESCE(reason_category, ''),
    CASE WHEN bank_file_id IS NULL THEN 0 ELSE 1 END, CASE WHEN held_at IS NULL THEN 0 ELSE 1 END,
    COUNT(*), CAST(SUM(amount_centimes) AS BIGINT)
FROM collections
GROUP BY collection_date, channel, status, COALESCE(reason_category, ''),
    CASE WHEN bank_file_id IS NULL THEN 0 ELSE 1 END, CASE WHEN held_at IS NULL THEN 0 ELSE 1 END;
