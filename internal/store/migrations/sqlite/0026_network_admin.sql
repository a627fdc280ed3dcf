-- The network admin's list « Abonnés du réseau » is sorted across every
-- library: these indexes serve its sorts without the library in front, as
-- patrons_by_name and its kin serve a library's list.
CREATE INDEX patrons_network_by_name ON patrons (sort_last, sort_first, id);
CREATE INDEX patrons_network_by_first_name ON patrons (sort_first, sort_last, id);
CREATE INDEX patrons_network_by_status ON patrons (status, sort_last, sort_first, id);
CREATE INDEX patrons_network_by_registration ON patrons (registered_on, id);

-- The last failures of each connector (a secret this instance cannot open,
-- an account the gate refused, a vendor link that cannot be built), for the
-- Connecteurs page. The store keeps the last few per connector only (see
-- store.ConnectorFailuresKept): the table never grows with the traffic.
-- detail is in French, without the patron's name.
CREATE TABLE connector_failures (
    id           INTEGER   PRIMARY KEY,
    connector_id INTEGER   NOT NULL REFERENCES connectors (id) ON DELETE CASCADE,
    at           TIMESTAMP NOT NULL,
    reason       TEXT      NOT NULL,
    detail       TEXT      NOT NULL
);
CREATE INDEX connector_failures_by_connector ON connector_failures (connector_id, at, id);
