-- The years whose default holidays have been loaded, fixed and lunar (estimated) apart
-- (issue 14: the calendar years ahead). `serve` and `migrate` load the years up to ten
-- years ahead that are not here yet, once each: what staff then confirm, shift or remove
-- in a loaded year stays as they left it.
CREATE TABLE calendar_years_loaded (
    year      INTEGER NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('fixed', 'lunar')),
    loaded_at TEXT NOT NULL,
    PRIMARY KEY (year, kind)
);

-- A calendar loaded before this migration holds the defaults of the time: fixed holidays
-- for 2025 to 2030 and the lunar estimates of 2026 (a fresh database has no entries yet
-- and inserts nothing here).
INSERT INTO calendar_years_loaded (year, kind, loaded_at)
SELECT years.year, years.kind, (SELECT MIN(created_at) FROM calendar_entries)
FROM (SELECT 2025 AS year, 'fixed' AS kind UNION ALL SELECT 2026, 'fixed'
      UNION ALL SELECT 2027, 'fixed' UNION ALL SELECT 2028, 'fixed'
      UNION ALL SELECT 2029, 'fixed' UNION ALL SELECT 2030, 'fixed'
      UNION ALL SELECT 2026, 'lunar') AS years
WHERE EXISTS (SELECT 1 FROM calendar_entries);
