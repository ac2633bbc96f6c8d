-- Write-offs (issue 15 point 1): staff write off an owed declaration line of an employer
-- (uncollectable debt). A line written off is no longer owed and never collectable: it
-- leaves planning and allocation like a line paid by a payment. One write-off per line;
-- its `write_off` ledger entry is written in the same transaction. The reference to the
-- line keeps a correction from deleting a written-off line.
CREATE TABLE line_write_offs (
    id                  INTEGER PRIMARY KEY,
    employer_id         INTEGER NOT NULL REFERENCES employers (id),
    declaration_line_id INTEGER NOT NULL UNIQUE REFERENCES declaration_lines (id),
    amount_centimes     INTEGER NOT NULL CHECK (amount_centimes >= 0),
    reason              TEXT NOT NULL CHECK (reason <> ''),
    written_off_by      TEXT NOT NULL,
    created_at          TEXT NOT NULL
);
CREATE INDEX line_write_offs_employer ON line_write_offs (employer_id);

-- A line written off is `written_off` (it was: submitted or unpaid; a line in a live debit
-- is never written off without leaving it).
DROP VIEW declaration_line_states;
CREATE VIEW declaration_line_states AS
SELECT l.id AS declaration_line_id,
       l.declaration_id,
       CASE
           WHEN l.status = 'cancelled' THEN 'cancelled'
           WHEN c.status = 'settled' THEN 'paid'
           WHEN c.id IS NOT NULL THEN 'scheduled'
           WHEN EXISTS (SELECT 1 FROM payment_allocations pa WHERE pa.declaration_line_id = l.id) THEN 'paid'
           WHEN EXISTS (SELECT 1 FROM line_write_offs wo WHERE wo.declaration_line_id = l.id) THEN 'written_off'
           WHEN EXISTS (SELECT 1 FROM collection_lines x WHERE x.declaration_line_id = l.id) THEN 'unpaid'
           ELSE 'submitted'
       END AS state,
       c.id AS collection_id
FROM declaration_lines l
LEFT JOIN collection_lines cl ON cl.declaration_line_id = l.id AND cl.live = 1
LEFT JOIN collections c ON c.id = cl.collection_id;
