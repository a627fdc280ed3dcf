-- See migrations/sqlite/0006_registrations.sql.
CREATE TABLE registrations (
    token_hash TEXT        PRIMARY KEY,
    email      TEXT        NOT NULL UNIQUE,
    payload    TEXT        NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
