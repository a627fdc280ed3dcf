-- The vendors a patron's Sésame session was used for, so that logging out of
-- Sésame logs out of them too (single logout). A SAML service provider is
-- kept once per session, with the NameID and SessionIndex of the last
-- assertion it got: its LogoutRequest names them. A CAS service is kept once
-- per ticket validated, with that ticket (already spent, so worth nothing) as
-- the SessionIndex of its back-channel logoutRequest, and the service URL the
-- request is posted to. service is the SAML entityID or the CAS service URL.
-- The rows end with their session (logout, idle purge, new password), and
-- store.SSOParticipantsKept bounds them per session.
CREATE TABLE sso_participants (
    id            INTEGER   PRIMARY KEY,
    session_hash  TEXT      NOT NULL REFERENCES patron_sessions (token_hash) ON DELETE CASCADE,
    connector_id  INTEGER   NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    kind          TEXT      NOT NULL,
    service       TEXT      NOT NULL,
    name_id       TEXT      NOT NULL,
    session_index TEXT      NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX sso_participants_by_session ON sso_participants (session_hash, kind);
CREATE INDEX sso_participants_by_connector ON sso_participants (connector_id);
