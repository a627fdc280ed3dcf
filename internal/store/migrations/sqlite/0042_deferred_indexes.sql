-- The secondary indexes a bulk load into empty tables put off, until it
-- builds them once, sorted, at its end (store/deferred_indexes.go): each
-- one's definition, recorded in the transaction that drops it, so that an
-- interrupted load leaves them to the next run, or to the next migration,
-- to build again.
CREATE TABLE deferred_indexes (
    name       TEXT PRIMARY KEY,
    table_name TEXT NOT NULL,
    definition TEXT NOT NULL
);
