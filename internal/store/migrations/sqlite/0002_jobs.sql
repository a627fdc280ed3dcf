-- Background jobs: the mail outbox, reminders, purges. A job is written in
-- the same transaction as the change that calls for it, then claimed by one
-- worker for a lease; a worker that dies loses its lease, and another takes
-- the job again.
CREATE TABLE jobs (
    id           INTEGER   PRIMARY KEY,
    kind         TEXT      NOT NULL,
    payload      TEXT      NOT NULL,
    run_at       TIMESTAMP NOT NULL,
    attempts     INTEGER   NOT NULL DEFAULT 0,
    locked_by    TEXT      NOT NULL DEFAULT '',
    locked_until TIMESTAMP,
    done_at      TIMESTAMP,
    last_error   TEXT      NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE done_at IS NULL;
