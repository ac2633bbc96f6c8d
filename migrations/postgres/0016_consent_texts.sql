-- The exact consent text each mandate signature was given under (issue 17, finding 17):
-- stored once per text, by its SHA-256, which `mandates.consent_text_sha256` names.
-- `version` is the published consent version the text was written from (`2026-01-fr`);
-- `published_at` is when this exact text was first recorded, at its first signature.
-- Evidence: written once, never changed or removed (triggers).
CREATE TABLE consent_texts (
    hash         TEXT PRIMARY KEY CHECK (length(hash) = 64),
    version      TEXT NOT NULL CHECK (length(version) BETWEEN 1 AND 40),
    text         TEXT NOT NULL CHECK (length(text) > 0),
    published_at TEXT NOT NULL
);

CREATE FUNCTION consent_texts_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'consent_texts is write-once';
END;
$$;
CREATE TRIGGER consent_texts_write_once BEFORE UPDATE OR DELETE ON consent_texts
    FOR EACH ROW EXECUTE FUNCTION consent_texts_refuse_change();
