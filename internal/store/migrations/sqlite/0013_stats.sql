-- Usage statistics, kept anonymously (store/stats.go). A launch names its
-- patron: it is kept a few months only (SESAME_LAUNCH_RETENTION), then
-- deleted. Before that, once a month is over, a daily job counts it here,
-- once and for all: a month's figures are then read from these tables,
-- the current month's from the launches. Months and years are those of the
-- network's calendar (Europe/Paris).

-- Per month, library and resource: the launches, and the patrons who
-- launched. stats_library_months is the same for all resources together.
CREATE TABLE stats_months (
    month       TEXT    NOT NULL, -- 'YYYY-MM'
    library_id  INTEGER NOT NULL,
    resource_id INTEGER NOT NULL,
    launches    INTEGER NOT NULL,
    users       INTEGER NOT NULL,
    PRIMARY KEY (month, library_id, resource_id)
);
CREATE INDEX stats_months_by_library ON stats_months (library_id, month);
CREATE TABLE stats_library_months (
    month      TEXT    NOT NULL,
    library_id INTEGER NOT NULL,
    launches   INTEGER NOT NULL,
    users      INTEGER NOT NULL,
    PRIMARY KEY (month, library_id)
);
CREATE INDEX stats_library_months_by_library ON stats_library_months (library_id, month);
-- The network's figures by month and resource, summed over its libraries
-- when the month is counted: the network's pages read a few rows a month.
CREATE TABLE stats_network_months (
    month       TEXT    NOT NULL,
    resource_id INTEGER NOT NULL,
    launches    INTEGER NOT NULL,
    users       INTEGER NOT NULL,
    PRIMARY KEY (month, resource_id)
);

-- Per year, library and resource, and per year and library (all resources):
-- the patrons of the months counted so far, each once.
CREATE TABLE stats_years (
    year        INTEGER NOT NULL,
    library_id  INTEGER NOT NULL,
    resource_id INTEGER NOT NULL,
    users       INTEGER NOT NULL,
    PRIMARY KEY (year, library_id, resource_id)
);
CREATE TABLE stats_library_years (
    year       INTEGER NOT NULL,
    library_id INTEGER NOT NULL,
    users      INTEGER NOT NULL,
    PRIMARY KEY (year, library_id)
);

-- Who is already in stats_years for the year under way: without it, a
-- patron counted in March who comes back in October would be counted
-- twice. No date, no count; deleted with the patron, and for the whole
-- year once its December is counted.
CREATE TABLE stats_year_patrons (
    year        INTEGER NOT NULL,
    library_id  INTEGER NOT NULL,
    patron_id   INTEGER NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    resource_id INTEGER NOT NULL,
    PRIMARY KEY (year, library_id, patron_id, resource_id)
);
CREATE INDEX stats_year_patrons_by_patron ON stats_year_patrons (patron_id);

-- Per month and library, the account events of the audit trail.
CREATE TABLE stats_account_months (
    month         TEXT    NOT NULL,
    library_id    INTEGER NOT NULL, -- 0: events of no library
    registrations INTEGER NOT NULL,
    validations   INTEGER NOT NULL,
    refusals      INTEGER NOT NULL,
    renewals      INTEGER NOT NULL,
    expiries      INTEGER NOT NULL,
    PRIMARY KEY (month, library_id)
);
CREATE INDEX stats_account_months_by_library ON stats_account_months (library_id, month);

-- The one row the daily job locks, so that two instances never count a
-- month twice. The months before counted_until are in the tables above;
-- the launches before kept_since are deleted.
CREATE TABLE stats_fold (
    id            INTEGER   PRIMARY KEY CHECK (id = 1),
    counted_until TIMESTAMP NULL,
    kept_since    TIMESTAMP NULL,
    last_run_at   TIMESTAMP NULL
);

-- A library's launches by time, for its own pages.
CREATE INDEX launches_by_library ON launches (library_id, at);

-- The account events the statistics count, by time and by library. The
-- list must stay word for word that of store/stats.go, or SQLite ignores
-- these partial indexes.
CREATE INDEX audit_stats_by_time ON audit_events (at, action)
    WHERE action IN ('creation', 'validation', 'refus', 'revalidation', 'expiration');
CREATE INDEX audit_stats_by_library ON audit_events (library_id, at, action)
    WHERE action IN ('creation', 'validation', 'refus', 'revalidation', 'expiration');
