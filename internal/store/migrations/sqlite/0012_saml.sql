-- The SAML identity provider's identity: its signing key and self-signed
-- certificate, made once and shared by every instance, and the salt of the
-- pairwise NameIDs, so that a vendor keeps seeing the same identifier for a
-- patron and two vendors never see the same one. The key and the salt are
-- sealed with SESAME_SECRET_KEY. One row only.
CREATE TABLE saml_identity (
    id            INTEGER   PRIMARY KEY CHECK (id = 1),
    certificate   TEXT      NOT NULL,
    private_key   TEXT      NOT NULL,
    pairwise_salt TEXT      NOT NULL,
    created_at    TIMESTAMP NOT NULL
);

-- An AuthnRequest, checked (signature included) when it arrived, kept while
-- the patron logs in, under the SHA-256 of a random handle. It is answered at
-- most once (answered_at), and the same request ID of a vendor is accepted
-- only once: a replayed request is refused until the row is purged, long
-- after the request itself has expired.
CREATE TABLE saml_requests (
    handle_hash  TEXT      PRIMARY KEY,
    connector_id INTEGER   NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    request_id   TEXT      NOT NULL,
    issued_at    TIMESTAMP NOT NULL,
    relay_state  TEXT      NOT NULL,
    acs_url      TEXT      NOT NULL,
    force_authn  BOOLEAN   NOT NULL,
    is_passive   BOOLEAN   NOT NULL,
    received_at  TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    answered_at  TIMESTAMP NULL
);
CREATE UNIQUE INDEX saml_requests_once ON saml_requests (connector_id, request_id);
CREATE INDEX saml_requests_by_expiry ON saml_requests (expires_at);
