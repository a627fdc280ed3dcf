-- See migrations/sqlite/0034_connector_health.sql.
CREATE INDEX launches_by_connector ON launches (connector_id, at);

CREATE TABLE connector_alerts (
    connector_id BIGINT      NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    kind         TEXT        NOT NULL,
    episode      TEXT        NOT NULL,
    mailed_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (connector_id, kind)
);
