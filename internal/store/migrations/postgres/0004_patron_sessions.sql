-- See migrations/sqlite/0004_patron_sessions.sql.
CREATE TABLE patron_sessions (
    token_hash   TEXT        PRIMARY KEY,
    patron_id    BIGINT      NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX patron_sessions_by_patron ON patron_sessions (patron_id);
