-- See migrations/sqlite/0023_consent_again.sql.
CREATE TABLE consent_requests (
    token_hash   TEXT        PRIMARY KEY,
    patron_id    BIGINT      NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    parent_name  TEXT        NOT NULL,
    parent_email TEXT        NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    used_at      TIMESTAMPTZ NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX consent_requests_by_patron ON consent_requests (patron_id);

ALTER TABLE patrons ADD COLUMN consent_asked_at TIMESTAMPTZ NULL;
