-- See migrations/sqlite/0008_parental_consent.sql.
ALTER TABLE registrations ADD COLUMN parent_token_hash TEXT NULL;
ALTER TABLE registrations ADD COLUMN confirmed_at TIMESTAMPTZ NULL;
ALTER TABLE registrations ADD COLUMN done_at TIMESTAMPTZ NULL;
CREATE UNIQUE INDEX registrations_by_parent_token ON registrations (parent_token_hash);

CREATE TABLE parental_consents (
    patron_id    BIGINT      PRIMARY KEY REFERENCES patrons (id) ON DELETE CASCADE,
    parent_name  TEXT        NOT NULL,
    parent_email TEXT        NOT NULL,
    consented_at TIMESTAMPTZ NOT NULL
);
