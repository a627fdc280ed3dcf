-- A callback token serves once: the vendor's first check marks it used, in
-- one guarded UPDATE, so that two checks at once give one OK. Used tokens
-- go with the expired ones, at the hourly purge.
ALTER TABLE sso_tokens ADD COLUMN used_at TIMESTAMP NULL;
