-- See migrations/sqlite/0011_cas.sql.
CREATE TABLE cas_tickets (
    ticket_hash    TEXT        PRIMARY KEY,
    service        TEXT        NOT NULL,
    patron_id      BIGINT      NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    connector_id   BIGINT      NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    user_id        TEXT        NOT NULL,
    from_new_login BOOLEAN     NOT NULL,
    auth_at        TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    first_name     TEXT        NOT NULL,
    last_name      TEXT        NOT NULL,
    email          TEXT        NOT NULL,
    library_code   TEXT        NOT NULL,
    valid_until    TEXT        NOT NULL
);

CREATE TABLE cas_logins (
    ticket_hash  TEXT        PRIMARY KEY,
    session_hash TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE cas_users (
    patron_id   BIGINT      NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    resource_id BIGINT      NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
    user_id     TEXT        NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (patron_id, resource_id)
);
