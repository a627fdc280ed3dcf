-- A registration waits here until its holder follows the link sent by
-- e-mail: only then is the patron created, À valider. Only the SHA-256 of
-- the link's token is kept; the payload is the validated form as JSON, with
-- the password's hash, never the password. One pending registration per
-- address: registering again replaces it.
CREATE TABLE registrations (
    token_hash TEXT      PRIMARY KEY,
    email      TEXT      NOT NULL UNIQUE,
    payload    TEXT      NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
