-- See migrations/sqlite/0040_stats_daily.sql.
CREATE TABLE stats_patron_months (
    library_id  BIGINT NOT NULL,
    patron_id   BIGINT NOT NULL REFERENCES patrons (id) ON DELETE CASCADE,
    resource_id BIGINT NOT NULL,
    last_month  TEXT   NOT NULL,
    -- A page looks each patron of the day up: last_month in the index.
    PRIMARY KEY (library_id, patron_id, resource_id) INCLUDE (last_month)
);
CREATE INDEX stats_patron_months_by_patron ON stats_patron_months (patron_id);

CREATE TABLE stats_user_firsts (
    library_id  BIGINT  NOT NULL,
    month       TEXT    NOT NULL,
    since       TEXT    NOT NULL,
    resource_id BIGINT  NOT NULL,
    users       INTEGER NOT NULL,
    PRIMARY KEY (library_id, month, since, resource_id)
);
CREATE TABLE stats_library_user_firsts (
    library_id BIGINT  NOT NULL,
    month      TEXT    NOT NULL,
    since      TEXT    NOT NULL,
    users      INTEGER NOT NULL,
    PRIMARY KEY (library_id, month, since)
);
CREATE TABLE stats_network_user_firsts (
    month       TEXT    NOT NULL,
    since       TEXT    NOT NULL,
    resource_id BIGINT  NOT NULL,
    users       INTEGER NOT NULL,
    PRIMARY KEY (month, since, resource_id)
);

ALTER TABLE stats_fold ADD COLUMN named_until TIMESTAMPTZ NULL;

-- The network's page sums every library's rows; at 16,000 libraries, three
-- sums took a few hundred milliseconds each. The nightly job keeps them:
-- the year's users by resource, the year's launches by library (beside
-- its users), the account events by month.
CREATE TABLE stats_network_years (
    year        INTEGER NOT NULL,
    resource_id BIGINT  NOT NULL,
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
