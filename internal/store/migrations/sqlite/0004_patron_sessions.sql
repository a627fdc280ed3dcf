-- Patrons log in too: their sessions live apart from staff sessions, so that
-- no code path can mistake one for the other.
CREATE TABLE patron_sessions (
    token_hash   TEXT      PRIMARY KEY,
    patron_id    INTEGER   NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX patron_sessions_by_patron ON patron_sessions (patron_id);
