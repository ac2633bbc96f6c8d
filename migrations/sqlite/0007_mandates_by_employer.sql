-- An employer's mandates, looked up on every employer page (the portal dashboard and the
-- mandate page list them). The only index with employer_id first was the partial unique
-- one (pending and active mandates), which cannot serve `WHERE employer_id = $1` alone:
-- every dashboard scanned the whole table (the web load test at 20,000 employers fell to
-- ~630 requests/s). Found by bench/web-dashboard.sh.
CREATE INDEX mandates_employer ON mandates (employer_id, id);
