-- The mail outbox. A message is written here in the same transaction as the
-- change that calls for it, with a "mail" job pointing at it; the job sends
-- it, then records sent_at. With no SMTP server configured, the message is
-- kept (kept = TRUE) instead of sent, so that it can still be read from the
-- admin pages.
CREATE TABLE mail_outbox (
    id          INTEGER   PRIMARY KEY,
    to_addr     TEXT      NOT NULL,
    to_name     TEXT      NOT NULL DEFAULT '',
    subject     TEXT      NOT NULL,
    text_body   TEXT      NOT NULL,
    html_body   TEXT      NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    sent_at     TIMESTAMP,
    kept        BOOLEAN   NOT NULL DEFAULT FALSE,
    attempts    INTEGER   NOT NULL DEFAULT 0,
    last_error  TEXT      NOT NULL DEFAULT ''
);
CREATE INDEX mail_outbox_recent ON mail_outbox (created_at, id);
