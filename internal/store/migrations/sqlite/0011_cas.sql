-- The CAS server (Sésame is the CAS server of the network's vendors).
--
-- A service ticket lives seconds and serves one validation: the validation
-- takes it out with DELETE … RETURNING. Only its SHA-256 is kept. user_id is
-- copied from cas_users; from_new_login is what was decided when it was
-- issued; auth_at is when the patron typed their password. The attributes
-- (names, e-mail if the connector releases it, library code, end of
-- validity) are those the access check saw at issue: the validation needs
-- no other read.
-- The table holds only the tickets of the last seconds (the purge takes the
-- rest), so it has no index but its key: a validation then writes one page.
CREATE TABLE cas_tickets (
    ticket_hash    TEXT      PRIMARY KEY,
    service        TEXT      NOT NULL,
    patron_id      INTEGER   NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    connector_id   INTEGER   NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    user_id        TEXT      NOT NULL,
    from_new_login BOOLEAN   NOT NULL,
    auth_at        TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP NOT NULL,
    first_name     TEXT      NOT NULL,
    last_name      TEXT      NOT NULL,
    email          TEXT      NOT NULL,
    library_code   TEXT      NOT NULL,
    valid_until    TEXT      NOT NULL
) WITHOUT ROWID;

-- A login ticket: /cas/login asked for the password (renew=true, or no
-- session). session_hash is the patron session open then ('' for none): a
-- session other than it, started after created_at, comes from a password
-- typed for this request. Used once.
CREATE TABLE cas_logins (
    ticket_hash  TEXT      PRIMARY KEY,
    session_hash TEXT      NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
) WITHOUT ROWID;

-- The patron's pseudonym at one resource, the CAS user: random, so that two
-- vendors cannot link their users, and stable, so that a vendor keeps the
-- patron's account. Keyed by resource rather than connector, so that it
-- survives a connector replaced when the vendor moves.
CREATE TABLE cas_users (
    patron_id   INTEGER   NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    resource_id INTEGER   NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    user_id     TEXT      NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (patron_id, resource_id)
);
