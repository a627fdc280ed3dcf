-- See migrations/sqlite/0005_password_resets.sql.
CREATE TABLE password_resets (
    token_hash TEXT        PRIMARY KEY,
    patron_id  BIGINT      NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX password_resets_by_patron ON password_resets (patron_id);
