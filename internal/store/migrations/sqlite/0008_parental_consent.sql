-- A patron under 15 registers with the consent of a parent or legal
-- guardian. Their registration then waits twice: for its holder to confirm
-- their address (confirmed_at), then for the parent to follow the link of a
-- mail of their own, of whose token only the SHA-256 is kept
-- (parent_token_hash). done_at marks a registration that became a patron:
-- its payload is emptied, and the row stays until expires_at, when the purge
-- takes it, so that a second press of the button is told "already done"
-- rather than "expired".
ALTER TABLE registrations ADD COLUMN parent_token_hash TEXT NULL;
ALTER TABLE registrations ADD COLUMN confirmed_at TIMESTAMP NULL;
ALTER TABLE registrations ADD COLUMN done_at TIMESTAMP NULL;
CREATE UNIQUE INDEX registrations_by_parent_token ON registrations (parent_token_hash);

-- The consent a parent gave, kept with the patron and gone with them.
CREATE TABLE parental_consents (
    patron_id    INTEGER   PRIMARY KEY REFERENCES patrons (id) ON DELETE CASCADE,
    parent_name  TEXT      NOT NULL,
    parent_email TEXT      NOT NULL,
    consented_at TIMESTAMP NOT NULL
);
