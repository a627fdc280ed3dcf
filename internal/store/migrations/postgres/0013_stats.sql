-- See migrations/sqlite/0013_stats.sql.
CREATE TABLE stats_months (
    month       TEXT    NOT NULL,
    library_id  BIGINT  NOT NULL,
    resource_id BIGINT  NOT NULL,
    launches    INTEGER NOT NULL,
    users       INTEGER NOT NULL,
    PRIMARY KEY (month, library_id, resource_id)
);
CREATE INDEX stats_months_by_library ON stats_months (library_id, month);
CREATE TABLE stats_library_months (
    month      TEXT    NOT NULL,
    library_id BIGINT  NOT NULL,
    launches   INTEGER NOT NULL,
    users      INTEGER NOT NULL,
    PRIMARY KEY (month, library_id)
);
CREATE INDEX stats_library_months_by_library ON stats_library_months (library_id, month);
CREATE TABLE stats_network_months (
    month       TEXT    NOT NULL,
    resource_id BIGINT  NOT NULL,
    launches    INTEGER NOT NULL,
    users       INTEGER NOT NULL,
    PRIMARY KEY (month, resource_id)
);

CREATE TABLE stats_years (
    year        INTEGER NOT NULL,
    library_id  BIGINT  NOT NULL,
    resource_id BIGINT  NOT NULL,
    users       INTEGER NOT NULL,
    PRIMARY KEY (year, library_id, resource_id)
);
CREATE TABLE stats_library_years (
    year       INTEGER NOT NULL,
    library_id BIGINT  NOT NULL,
    users      INTEGER NOT NULL,
    PRIMARY KEY (year, library_id)
);

CREATE TABLE stats_year_patrons (
    year        INTEGER NOT NULL,
    library_id  BIGINT  NOT NULL,
    patron_id   BIGINT  NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    resource_id BIGINT  NOT NULL,
    PRIMARY KEY (year, library_id, patron_id, resource_id)
);
CREATE INDEX stats_year_patrons_by_patron ON stats_year_patrons (patron_id);

CREATE TABLE stats_account_months (
    month         TEXT    NOT NULL,
    library_id    BIGINT  NOT NULL,
    registrations INTEGER NOT NULL,
    validations   INTEGER NOT NULL,
    refusals      INTEGER NOT NULL,
    renewals      INTEGER NOT NULL,
    expiries      INTEGER NOT NULL,
    PRIMARY KEY (month, library_id)
);
CREATE INDEX stats_account_months_by_library ON stats_account_months (library_id, month);

CREATE TABLE stats_fold (
    id            INTEGER     PRIMARY KEY CHECK (id = 1),
    counted_until TIMESTAMPTZ NULL,
    kept_since    TIMESTAMPTZ NULL,
    last_run_at   TIMESTAMPTZ NULL
);

CREATE INDEX launches_by_library ON launches (library_id, at);

CREATE INDEX audit_stats_by_time ON audit_events (at, action)
    WHERE action IN ('creation', 'validation', 'refus', 'revalidation', 'expiration');
CREATE INDEX audit_stats_by_library ON audit_events (library_id, at, action)
    WHERE action IN ('creation', 'validation', 'refus', 'revalidation', 'expiration');
