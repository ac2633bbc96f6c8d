-- The first submission of a declaration, kept when it is corrected (late-declaration
-- surcharges are judged on it), and the day each allocation was made (a line paid by a
-- credit is paid on the day the credit was used, not on the day the payment arrived).
ALTER TABLE declarations ADD COLUMN first_submitted_at TEXT;
UPDATE declarations SET first_submitted_at = submitted_at;
ALTER TABLE payment_allocations ADD COLUMN allocated_on TEXT;
UPDATE payment_allocations SET allocated_on =
    (SELECT p.received_on FROM payments p WHERE p.id = payment_allocations.payment_id);
