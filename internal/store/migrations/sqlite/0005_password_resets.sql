-- A patron who forgot their password asks for a link by e-mail. Only the
-- SHA-256 of the link's token is kept; a token is used once and lasts one
-- hour, and changing the password voids the patron's other tokens.
CREATE TABLE password_resets (
    token_hash TEXT      PRIMARY KEY,
    patron_id  INTEGER   NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX password_resets_by_patron ON password_resets (patron_id);
