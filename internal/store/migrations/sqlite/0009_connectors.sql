-- Connectors: how Sésame vouches for a patron to a resource's vendor (OpenID
-- Connect, CAS, SAML or a signed link). lookup_key is what a vendor's request
-- names it by: the OIDC client_id, the CAS service prefix, the SAML entityID;
-- for a signed link, '' (it is chosen by resource, never looked up). settings
-- is the kind's settings as JSON; secret is sealed with SESAME_SECRET_KEY.
CREATE TABLE connectors (
    id          INTEGER   PRIMARY KEY,
    resource_id INTEGER   NOT NULL REFERENCES resources (id),
    kind        TEXT      NOT NULL,
    lookup_key  TEXT      NOT NULL,
    settings    TEXT      NOT NULL,
    secret      TEXT      NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX connectors_by_resource ON connectors (resource_id);
CREATE UNIQUE INDEX connectors_by_lookup ON connectors (kind, lookup_key) WHERE kind IN ('oidc', 'saml');

-- A launch is one patron sent to one resource: the usage statistics count
-- them. They are nominative, so they are kept a few months only, then folded
-- into anonymous counts. A deleted patron's launches stay, without the patron.
CREATE TABLE launches (
    id           INTEGER   PRIMARY KEY,
    at           TIMESTAMP NOT NULL,
    patron_id    INTEGER   NULL REFERENCES patrons (id) ON DELETE SET NULL,
    library_id   INTEGER   NOT NULL,
    resource_id  INTEGER   NOT NULL,
    connector_id INTEGER   NULL
);
CREATE INDEX launches_by_time ON launches (at);
CREATE INDEX launches_by_patron ON launches (patron_id);

-- A one-off token a signed link carries, which the vendor checks by calling
-- /api/v1/sso/check. Only its SHA-256 is kept.
CREATE TABLE sso_tokens (
    token_hash   TEXT      PRIMARY KEY,
    patron_id    INTEGER   NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    connector_id INTEGER   NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    expires_at   TIMESTAMP NOT NULL
);
CREATE INDEX sso_tokens_by_patron ON sso_tokens (patron_id);
CREATE INDEX sso_tokens_by_connector ON sso_tokens (connector_id);
