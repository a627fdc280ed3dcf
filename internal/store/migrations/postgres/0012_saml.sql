-- See migrations/sqlite/0012_saml.sql.
CREATE TABLE saml_identity (
    id            BIGINT      PRIMARY KEY CHECK (id = 1),
    certificate   TEXT        NOT NULL,
    private_key   TEXT        NOT NULL,
    pairwise_salt TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE saml_requests (
    handle_hash  TEXT        PRIMARY KEY,
    connector_id BIGINT      NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    request_id   TEXT        NOT NULL,
    issued_at    TIMESTAMPTZ NOT NULL,
    relay_state  TEXT        NOT NULL,
    acs_url      TEXT        NOT NULL,
    force_authn  BOOLEAN     NOT NULL,
    is_passive   BOOLEAN     NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    answered_at  TIMESTAMPTZ NULL
);
CREATE UNIQUE INDEX saml_requests_once ON saml_requests (connector_id, request_id);
CREATE INDEX saml_requests_by_expiry ON saml_requests (expires_at);
