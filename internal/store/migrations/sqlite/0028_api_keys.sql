-- The keys of the JSON API (/api/v1), one library each, for the nightly job
-- of its library system. Only the SHA-256 of a key is kept (see
-- sesame.HashAPIKey for why a fast hash is enough); hint is the key's
-- first characters, shown on « Clés d'API » so that a technician can tell
-- which key a script holds. A revoked key stays listed, and its name may
-- be given again to a new key.
CREATE TABLE api_keys (
    id           INTEGER   PRIMARY KEY,
    library_id   INTEGER   NOT NULL REFERENCES libraries (id) ON DELETE CASCADE,
    name         TEXT      NOT NULL,
    hash         TEXT      NOT NULL UNIQUE,
    hint         TEXT      NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at   TIMESTAMP
);
CREATE UNIQUE INDEX api_keys_active_name ON api_keys (library_id, name) WHERE revoked_at IS NULL;
