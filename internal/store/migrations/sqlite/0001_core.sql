-- The network a deployment serves: exactly one row.
CREATE TABLE network (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    name            TEXT    NOT NULL,
    contact_email   TEXT    NOT NULL,
    validity_months INTEGER NOT NULL DEFAULT 12
);

CREATE TABLE libraries (
    id            INTEGER PRIMARY KEY,
    code          TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    town          TEXT    NOT NULL,
    contact_email TEXT    NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE resources (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    url         TEXT    NOT NULL,
    disabled    BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE staff (
    id            INTEGER   PRIMARY KEY,
    login         TEXT      NOT NULL UNIQUE,
    name          TEXT      NOT NULL,
    role          TEXT      NOT NULL,
    library_id    INTEGER   REFERENCES libraries (id),
    password_hash TEXT      NOT NULL,
    disabled      BOOLEAN   NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMP NOT NULL,
    CHECK ((role = 'admin' AND library_id IS NULL) OR (role = 'bibliotheque' AND library_id IS NOT NULL))
);

-- Civil dates are TEXT yyyy-mm-dd: they sort, and no driver shifts them by a zone.
CREATE TABLE patrons (
    id                    INTEGER   PRIMARY KEY,
    library_id            INTEGER   NOT NULL REFERENCES libraries (id),
    last_name             TEXT      NOT NULL,
    first_name            TEXT      NOT NULL,
    email                 TEXT      NOT NULL UNIQUE,
    birth_date            TEXT      NOT NULL,
    postal_code           TEXT      NOT NULL,
    town                  TEXT      NOT NULL,
    card_number           TEXT      NOT NULL DEFAULT '',
    registered_on         TEXT      NOT NULL,
    status                TEXT      NOT NULL,
    library_registered_on TEXT      NOT NULL DEFAULT '',
    valid_until           TEXT      NOT NULL DEFAULT '',
    refusal_reason        TEXT      NOT NULL DEFAULT '',
    password_hash         TEXT      NOT NULL DEFAULT '',
    -- Folded (lower case, no accents) in Go, so that both engines sort and
    -- search alike: "lefevre" finds "Lefèvre".
    sort_last             TEXT      NOT NULL,
    sort_first            TEXT      NOT NULL,
    search_text           TEXT      NOT NULL,
    version               INTEGER   NOT NULL DEFAULT 1,
    created_at            TIMESTAMP NOT NULL,
    updated_at            TIMESTAMP NOT NULL
);
CREATE INDEX patrons_by_name ON patrons (library_id, sort_last, sort_first, id);
CREATE INDEX patrons_by_status ON patrons (library_id, status, sort_last, sort_first, id);
CREATE INDEX patrons_by_first_name ON patrons (library_id, sort_first, sort_last, id);
CREATE INDEX patrons_by_registration ON patrons (library_id, registered_on, id);

-- Counting 50,000 rows for "25 abonnés" costs more than the page itself, so
-- the counts are kept per library and status, in the same transaction as
-- every change of a patron.
CREATE TABLE patron_counts (
    library_id INTEGER NOT NULL REFERENCES libraries (id),
    status     TEXT    NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (library_id, status)
);

-- WITHOUT ROWID: a patron's grants sit together in the primary key's
-- b-tree, read in one seek for each row of the list.
CREATE TABLE grants (
    patron_id   INTEGER   NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    resource_id INTEGER   NOT NULL REFERENCES resources (id),
    state       TEXT      NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (patron_id, resource_id)
) WITHOUT ROWID;

-- No foreign keys: the trail outlives what it speaks of.
CREATE TABLE audit_events (
    id         INTEGER   PRIMARY KEY,
    at         TIMESTAMP NOT NULL,
    actor      TEXT      NOT NULL,
    library_id INTEGER,
    patron_id  INTEGER,
    action     TEXT      NOT NULL,
    detail     TEXT      NOT NULL
);
CREATE INDEX audit_by_patron ON audit_events (patron_id, id);

CREATE TABLE sessions (
    token_hash   TEXT      PRIMARY KEY,
    staff_id     INTEGER   NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_by_staff ON sessions (staff_id);

CREATE TABLE login_throttle (
    key           TEXT      PRIMARY KEY,
    failures      INTEGER   NOT NULL,
    blocked_until TIMESTAMP NOT NULL
);

-- The name search looks for a substring anywhere in names, e-mail and card
-- number. A scan of a 50,000-patron library costs tens of milliseconds, so a
-- trigram index serves it. Its rowid is the library id in the high bits and
-- the patron id in the low ones (see store.searchKey): one library's entries
-- are then contiguous, and a search seeks straight to them.
CREATE VIRTUAL TABLE patron_search USING fts5 (search_text, tokenize = 'trigram', content = '', contentless_delete = 1, detail = 'full');
