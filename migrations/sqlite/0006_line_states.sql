-- The payment state of a declaration line is derived from its collection lines instead of
-- being copied onto every line: planning, settling and failing 100,000 debits then update
-- 100,000 collections rather than 500,000 lines as well. `declaration_lines.status` keeps
-- what the employer declared ('submitted', or 'cancelled'); the state shown to people is
-- the view below:
--   paid       a live collection line in a settled collection
--   scheduled  a live collection line in a collection not settled (yet)
--   unpaid     collection lines, none live: a collection failed and the line is owed again
--   submitted  never collected
UPDATE declaration_lines SET status = 'submitted' WHERE status IN ('scheduled', 'paid', 'unpaid');

CREATE INDEX collection_lines_line ON collection_lines (declaration_line_id);

CREATE VIEW declaration_line_states AS
SELECT l.id AS declaration_line_id,
       l.declaration_id,
       CASE
           WHEN l.status = 'cancelled' THEN 'cancelled'
           WHEN c.status = 'settled' THEN 'paid'
           WHEN c.id IS NOT NULL THEN 'scheduled'
           WHEN EXISTS (SELECT 1 FROM collection_lines x WHERE x.declaration_line_id = l.id) THEN 'unpaid'
           ELSE 'submitted'
       END AS state,
       c.id AS collection_id
FROM declaration_lines l
LEFT JOIN collection_lines cl ON cl.declaration_line_id = l.id AND cl.live = 1
LEFT JOIN collections c ON c.id = cl.collection_id;
