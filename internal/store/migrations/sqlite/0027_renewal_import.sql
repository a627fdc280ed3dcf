-- Renewals from the library system (SIGB, package renewals).
--
-- The date the library system gave for a patron that the import did not
-- apply: an À valider account « inscrit au SIGB », for the librarian, or an
-- Expiré one told to ask for renewal, once per date. ISO, '' when none.
ALTER TABLE patrons ADD COLUMN sigb_registered_on TEXT NOT NULL DEFAULT '';

-- An import staged by the page « Importer depuis le SIGB »: its rows wait in
-- renewal_import_rows until the job applies them (never the file itself);
-- library_id is NULL for the network admin's, whose rows name their
-- library. The actor is kept to audit the changes as theirs.
CREATE TABLE renewal_imports (
    id               INTEGER   PRIMARY KEY,
    library_id       INTEGER   NULL REFERENCES libraries (id) ON DELETE CASCADE,
    source           TEXT      NOT NULL,
    actor_label      TEXT      NOT NULL,
    actor_staff_id   INTEGER   NOT NULL,
    actor_role       TEXT      NOT NULL,
    actor_library_id INTEGER   NOT NULL,
    total            INTEGER   NOT NULL,
    done             INTEGER   NOT NULL DEFAULT 0,
    failed           TEXT      NOT NULL DEFAULT '',
    created_at       TIMESTAMP NOT NULL,
    started_at       TIMESTAMP,
    finished_at      TIMESTAMP
);
CREATE INDEX renewal_imports_by_creation ON renewal_imports (created_at);

-- The parsed rows of an import, deleted as they are applied.
CREATE TABLE renewal_import_rows (
    import_id     INTEGER NOT NULL REFERENCES renewal_imports (id) ON DELETE CASCADE,
    line          INTEGER NOT NULL,
    card          TEXT    NOT NULL,
    email         TEXT    NOT NULL,
    last_name     TEXT    NOT NULL,
    first_name    TEXT    NOT NULL,
    library_code  TEXT    NOT NULL,
    birth_date    TEXT    NOT NULL,
    registered_on TEXT    NOT NULL,
    valid_until   TEXT    NOT NULL,
    problem       TEXT    NOT NULL,
    PRIMARY KEY (import_id, line)
);

-- What each line did, or would do before the import starts: the report,
-- kept as long as the audit trail's details (store.RetentionMonths).
-- detail holds the patrons shown beside the line (JSON).
CREATE TABLE renewal_import_lines (
    import_id INTEGER NOT NULL REFERENCES renewal_imports (id) ON DELETE CASCADE,
    line      INTEGER NOT NULL,
    card      TEXT    NOT NULL,
    outcome   TEXT    NOT NULL,
    reason    TEXT    NOT NULL,
    detail    TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (import_id, line)
);

-- The columns a library's files put where (column → header text), saved
-- from the mapping form so that the next file is read the same way.
CREATE TABLE import_mappings (
    library_id INTEGER   NOT NULL PRIMARY KEY,
    mapping    TEXT      NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
