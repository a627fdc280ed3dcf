-- How a library hears, at its contact address, of the requests waiting for
-- it (a confirmed registration, a renewal, more resources): one mail per
-- request, or one daily digest.
ALTER TABLE libraries ADD COLUMN notify TEXT NOT NULL DEFAULT 'par_demande'
    CHECK (notify IN ('par_demande', 'quotidien'));

-- The requests waiting for the next daily digest of a library in
-- 'quotidien' mode, written in the same transaction as the request itself.
-- The digest job deletes the rows it sends, in the transaction that writes
-- its mail to the outbox: each request is sent once. No name is copied here:
-- the digest reads it from the patron, and a deleted patron's requests go
-- with the account.
CREATE TABLE digest_requests (
    id         INTEGER   PRIMARY KEY,
    patron_id  INTEGER   NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    kind       TEXT      NOT NULL,
    detail     TEXT      NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX digest_requests_by_patron ON digest_requests (patron_id);
