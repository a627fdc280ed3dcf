-- Staff two-factor authentication with TOTP (RFC 6238).
-- totp_secret is the base32 secret sealed with SESAME_SECRET_KEY under the
-- context "totp:<staff id>"; '' when the second factor is off.
-- totp_last_step is the last time step (Unix time / 30 s) whose code was
-- accepted: a code of that step or an earlier one is refused, so that a code
-- seen over a shoulder or replayed within its window opens nothing.
ALTER TABLE staff ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE staff ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN totp_enabled_at TIMESTAMP NULL;

-- Single-use recovery codes, for a lost phone: only their SHA-256 is kept,
-- and a code is deleted once used.
CREATE TABLE staff_recovery_codes (
    staff_id   INTEGER   NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    code_hash  TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (staff_id, code_hash)
);

-- A password accepted, the code not yet typed: the session is created only
-- once the code is right. Only the SHA-256 of the cookie's token is kept,
-- for 5 minutes.
CREATE TABLE staff_pending_logins (
    token_hash TEXT      PRIMARY KEY,
    staff_id   INTEGER   NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    next       TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX staff_pending_logins_by_staff ON staff_pending_logins (staff_id);

-- « Double authentification obligatoire pour le personnel »: staff without
-- a second factor must set one up right after login.
ALTER TABLE network ADD COLUMN staff_mfa_required BOOLEAN NOT NULL DEFAULT FALSE;
