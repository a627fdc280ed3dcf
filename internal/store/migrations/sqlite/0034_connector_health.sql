-- « État des connecteurs »: the last successful launch of each connector is
-- read from the launches kept, by this index.
CREATE INDEX launches_by_connector ON launches (connector_id, at);

-- A warning about a connector (repeated failures, a certificate that ends
-- soon) is mailed to the network admin once per episode: the row is written
-- with the mail, in one transaction, and deleted when the warning no longer
-- holds, so that the next episode is mailed again. episode tells two
-- episodes of one kind apart (the certificate's end date; '' for failures).
CREATE TABLE connector_alerts (
    connector_id INTEGER   NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    kind         TEXT      NOT NULL,
    episode      TEXT      NOT NULL,
    mailed_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (connector_id, kind)
);
