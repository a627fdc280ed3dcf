-- See migrations/sqlite/0010_oidc.sql.
CREATE TABLE oidc_auth_requests (
    id                    TEXT        PRIMARY KEY,
    connector_id          BIGINT      NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    client_id             TEXT        NOT NULL,
    redirect_uri          TEXT        NOT NULL,
    scopes                TEXT        NOT NULL,
    state                 TEXT        NOT NULL,
    nonce                 TEXT        NOT NULL,
    response_mode         TEXT        NOT NULL,
    prompt                TEXT        NOT NULL,
    code_challenge        TEXT        NOT NULL,
    code_challenge_method TEXT        NOT NULL,
    patron_id             BIGINT      NULL REFERENCES patrons (id) ON DELETE CASCADE,
    subject               TEXT        NOT NULL DEFAULT '',
    claims                TEXT        NOT NULL DEFAULT '',
    code_hash             TEXT        NULL,
    code_used_at          TIMESTAMPTZ NULL,
    replayed_at           TIMESTAMPTZ NULL,
    created_at            TIMESTAMPTZ NOT NULL,
    expires_at            TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX oidc_auth_requests_by_code ON oidc_auth_requests (code_hash);
CREATE INDEX oidc_auth_requests_by_patron ON oidc_auth_requests (patron_id);

CREATE TABLE oidc_tokens (
    id_hash         TEXT        PRIMARY KEY,
    auth_request_id TEXT        NOT NULL,
    patron_id       BIGINT      NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    connector_id    BIGINT      NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    client_id       TEXT        NOT NULL,
    subject         TEXT        NOT NULL,
    scopes          TEXT        NOT NULL,
    claims          TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX oidc_tokens_by_request ON oidc_tokens (auth_request_id);
CREATE INDEX oidc_tokens_by_patron ON oidc_tokens (patron_id);

CREATE TABLE oidc_keys (
    id          TEXT        PRIMARY KEY,
    slot        TEXT        NOT NULL UNIQUE,
    algorithm   TEXT        NOT NULL,
    public_jwk  TEXT        NOT NULL,
    private_key TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NULL
);
