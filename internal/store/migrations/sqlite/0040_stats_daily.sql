-- The usage statistics are counted every night up to the day before, not
-- once a month (store/stats.go): a page then reads the launches of one
-- day at most, the rest from the tables. stats_months and the others of
-- 0013_stats.sql hold the current month's days counted so far.
--
-- A month's users cannot be summed from its days', nor a run of months'
-- from its months': a patron counts once. The tables below keep, for each
-- library, resource and patron, the last month they launched it in
-- (stats_patron_months: resource_id 0 for any resource), and count each
-- patron in the first month of each run of months: stats_user_firsts
-- counts, per month, the patrons whose previous month with a launch was
-- since ('' for none kept). The users of the months from A to B are then
-- those counted in A to B with since before A: exact, and read from a few
-- rows per library and month.
CREATE TABLE stats_patron_months (
    library_id  INTEGER NOT NULL,
    patron_id   INTEGER NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    resource_id INTEGER NOT NULL, -- 0: any resource
    last_month  TEXT    NOT NULL, -- 'YYYY-MM'
    PRIMARY KEY (library_id, patron_id, resource_id)
) WITHOUT ROWID; -- a page looks each patron of the day up: last_month is in the key's b-tree
CREATE INDEX stats_patron_months_by_patron ON stats_patron_months (patron_id);

-- Per library, month, previous month and resource; per library, month and
-- previous month (all resources); per month, previous month and resource
-- for the whole network. Kept for the months whose launches are kept.
CREATE TABLE stats_user_firsts (
    library_id  INTEGER NOT NULL,
    month       TEXT    NOT NULL,
    since       TEXT    NOT NULL, -- '' or 'YYYY-MM', before month
    resource_id INTEGER NOT NULL,
    users       INTEGER NOT NULL,
    PRIMARY KEY (library_id, month, since, resource_id)
);
CREATE TABLE stats_library_user_firsts (
    library_id INTEGER NOT NULL,
    month      TEXT    NOT NULL,
    since      TEXT    NOT NULL,
    users      INTEGER NOT NULL,
    PRIMARY KEY (library_id, month, since)
);
CREATE TABLE stats_network_user_firsts (
    month       TEXT    NOT NULL,
    since       TEXT    NOT NULL,
    resource_id INTEGER NOT NULL,
    users       INTEGER NOT NULL,
    PRIMARY KEY (month, since, resource_id)
);

-- How far the tables above go: NULL until the first run after this
-- migration, which fills them from every launch kept; then the same as
-- counted_until.
ALTER TABLE stats_fold ADD COLUMN named_until TIMESTAMP NULL;

-- The network's page sums every library's rows; at 16,000 libraries, three
-- sums took a few hundred milliseconds each. The nightly job keeps them:
-- the year's users by resource, the year's launches by library (beside
-- its users), the account events by month.
CREATE TABLE stats_network_years (
    year        INTEGER NOT NULL,
    resource_id INTEGER NOT NULL,
    users       INTEGER NOT NULL,
    PRIMARY KEY (year, resource_id)
);
INSERT INTO stats_network_years (year, resource_id, users)
    SELECT year, resource_id, SUM(users) FROM stats_years GROUP BY year, resource_id;
ALTER TABLE stats_library_years ADD COLUMN launches INTEGER NOT NULL DEFAULT 0;
INSERT INTO stats_library_years (year, library_id, users, launches)
    SELECT CAST(substr(month, 1, 4) AS INTEGER), library_id, 0, SUM(launches)
    FROM stats_library_months
    WHERE true
    GROUP BY CAST(substr(month, 1, 4) AS INTEGER), library_id
    ON CONFLICT (year, library_id) DO UPDATE SET launches = excluded.launches;
CREATE TABLE stats_network_account_months (
    month         TEXT    NOT NULL,
    registrations INTEGER NOT NULL,
    validations   INTEGER NOT NULL,
    refusals      INTEGER NOT NULL,
    renewals      INTEGER NOT NULL,
    expiries      INTEGER NOT NULL,
    PRIMARY KEY (month)
);
INSERT INTO stats_network_account_months (month, registrations, validations, refusals, renewals, expiries)
    SELECT month, SUM(registrations), SUM(validations), SUM(refusals), SUM(renewals), SUM(expiries)
    FROM stats_account_months GROUP BY month;
