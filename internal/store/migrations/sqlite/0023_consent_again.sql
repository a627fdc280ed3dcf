-- A patron whose birth date is corrected to one under 15 is treated as a
-- new registration of a minor: a parent's consent is asked again, through a
-- link mailed to the parent. As for registrations, only the SHA-256 of the
-- link's token is kept (token_hash); the link lasts 48 hours, serves once
-- (used_at, also set when a newer link voids it), and the purge takes it
-- once its time is over.
CREATE TABLE consent_requests (
    token_hash   TEXT      PRIMARY KEY,
    patron_id    INTEGER   NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    parent_name  TEXT      NOT NULL,
    parent_email TEXT      NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    used_at      TIMESTAMP NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX consent_requests_by_patron ON consent_requests (patron_id);

-- When the consent was last asked, until it comes back: the account cannot
-- be validated meanwhile (sesame.Patron.AwaitsParentalConsent). Kept on the
-- patron, not the link, so that a link purged unused does not lift the bar.
ALTER TABLE patrons ADD COLUMN consent_asked_at TIMESTAMP NULL;
