-- OpenID Connect max_age and auth_time: max_age is what the vendor asked,
-- in seconds (NULL when it asked none); auth_time is when the patron last
-- typed their password, written when the request is granted, for the ID
-- token's auth_time claim.
ALTER TABLE oidc_auth_requests ADD COLUMN max_age BIGINT NULL;
ALTER TABLE oidc_auth_requests ADD COLUMN auth_time TIMESTAMPTZ NULL;
