-- Secrets every instance shares, drawn once by the first instance that needs
-- one (INSERT … ON CONFLICT DO NOTHING, so that two instances agree): the key
-- that signs device cookies, which must work without SESAME_SECRET_KEY.
CREATE TABLE server_keys (
    name       TEXT      PRIMARY KEY,
    secret     TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL
);
