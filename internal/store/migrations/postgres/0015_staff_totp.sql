-- See migrations/sqlite/0015_staff_totp.sql.
ALTER TABLE staff ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE staff ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN totp_enabled_at TIMESTAMPTZ NULL;

CREATE TABLE staff_recovery_codes (
    staff_id   BIGINT      NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    code_hash  TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (staff_id, code_hash)
);

CREATE TABLE staff_pending_logins (
    token_hash TEXT        PRIMARY KEY,
    staff_id   BIGINT      NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    next       TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX staff_pending_logins_by_staff ON staff_pending_logins (staff_id);

ALTER TABLE network ADD COLUMN staff_mfa_required BOOLEAN NOT NULL DEFAULT FALSE;
