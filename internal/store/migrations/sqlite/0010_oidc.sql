-- The OpenID Connect provider (internal/oidc). Several instances may share
-- one database, so nothing of a flow lives in memory between two requests.

-- An authorization request, from /oauth/authorize until its code is used.
-- It waits for the patron (patron_id NULL), then holds the code (only its
-- SHA-256), then, once the code is used, stays until the tokens it produced
-- expire: a replayed code then finds it, revokes them and marks it
-- replayed, so that no token is added to it after. claims is the JSON
-- of what the vendor is told, fixed when the patron was let through.
CREATE TABLE oidc_auth_requests (
    id                    TEXT      PRIMARY KEY,
    connector_id          INTEGER   NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    client_id             TEXT      NOT NULL,
    redirect_uri          TEXT      NOT NULL,
    scopes                TEXT      NOT NULL,
    state                 TEXT      NOT NULL,
    nonce                 TEXT      NOT NULL,
    response_mode         TEXT      NOT NULL,
    prompt                TEXT      NOT NULL,
    code_challenge        TEXT      NOT NULL,
    code_challenge_method TEXT      NOT NULL,
    patron_id             INTEGER   NULL REFERENCES patrons (id) ON DELETE CASCADE,
    subject               TEXT      NOT NULL DEFAULT '',
    claims                TEXT      NOT NULL DEFAULT '',
    code_hash             TEXT      NULL,
    code_used_at          TIMESTAMP NULL,
    replayed_at           TIMESTAMP NULL,
    created_at            TIMESTAMP NOT NULL,
    expires_at            TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX oidc_auth_requests_by_code ON oidc_auth_requests (code_hash);
CREATE INDEX oidc_auth_requests_by_patron ON oidc_auth_requests (patron_id);

-- An access token, under the SHA-256 of the id it carries (the token itself
-- is that id and the subject, encrypted with the 'token' key below).
-- Revoking it is deleting the row.
CREATE TABLE oidc_tokens (
    id_hash         TEXT      PRIMARY KEY,
    auth_request_id TEXT      NOT NULL,
    patron_id       INTEGER   NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    connector_id    INTEGER   NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    client_id       TEXT      NOT NULL,
    subject         TEXT      NOT NULL,
    scopes          TEXT      NOT NULL,
    claims          TEXT      NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL
);
CREATE INDEX oidc_tokens_by_request ON oidc_tokens (auth_request_id);
CREATE INDEX oidc_tokens_by_patron ON oidc_tokens (patron_id);

-- The provider's keys, shared by every instance: ID token signing keys
-- (RS256, ES256), one per algorithm and rotation period, and two secrets
-- that never rotate: the key that encrypts access tokens and codes, and the
-- key of the pairwise subjects. slot makes two instances that create the
-- same key at once keep one. private_key is sealed with SESAME_SECRET_KEY;
-- public_jwk is the JWK published at /oauth/keys ('' for secrets).
-- A signing key expires (leaves the JWKS) a rotation period after its own
-- period ended; secrets never do (expires_at NULL).
CREATE TABLE oidc_keys (
    id          TEXT      PRIMARY KEY,
    slot        TEXT      NOT NULL UNIQUE,
    algorithm   TEXT      NOT NULL,
    public_jwk  TEXT      NOT NULL,
    private_key TEXT      NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NULL
);
